import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPushSettings } from "./settings.js";

describe("push settings", () => {
  it("have Cog's defaults in an empty environment", () => {
    expect(readPushSettings({})).toEqual({
      concurrency: 5,
      streamUploads: true,
      gzipLevel: 1,
      cacheDir: join(homedir(), ".cache", "cogts"),
      cacheBudget: 20 * 1024 ** 3,
      fromStorage: true,
    });
  });
  it("read the variables the push documents", () => {
    expect(
      readPushSettings({
        COG_PUSH_CONCURRENCY: "2",
        COG_PUSH_STREAM: "0",
        COG_PUSH_GZIP_LEVEL: "6",
        COGTS_CACHE_DIR: "/c",
        COGTS_PUSH_CACHE_MAX_BYTES: "1",
        COGTS_PUSH_FROM_STORAGE: "0",
      }),
    ).toEqual({
      concurrency: 2,
      streamUploads: false,
      gzipLevel: 6,
      cacheDir: "/c",
      cacheBudget: 1,
      fromStorage: false,
    });
    expect(readPushSettings({ XDG_CACHE_HOME: "/x" }).cacheDir).toBe("/x/cogts");
  });
  it("fall back to the default on a value out of range", () => {
    expect(
      readPushSettings({ COG_PUSH_CONCURRENCY: "0", COG_PUSH_GZIP_LEVEL: "12", COGTS_PUSH_CACHE_MAX_BYTES: "lots" }),
    ).toMatchObject({ concurrency: 5, gzipLevel: 1, cacheBudget: 20 * 1024 ** 3 });
  });
});
