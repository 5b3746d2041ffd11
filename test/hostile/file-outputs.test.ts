/**
 * Issue 14 item 1: a predictor output that looks like the worker's file marker is data, never a file the server
 * reads; the server reads only files the worker put in the prediction's own output directory, and no device.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../server/helpers.js";
import { predict, watchMemory, type MemoryWatch } from "./watch.js";

describe("file outputs travel out of band", () => {
  let server: RunningServer;
  let memory: MemoryWatch;
  beforeAll(async () => {
    server = await startServer("hostile");
    memory = watchMemory(server, 600);
  }, 60_000);
  afterAll(async () => {
    memory.stop();
    await server.stop();
  });

  // What older cogts took for a file: an object with a "__cogtsFile" path, anywhere in the output.
  const markers: [string, unknown][] = [
    ["a file outside the prediction", { __cogtsFile: "/etc/passwd" }],
    ["the server's environment", { __cogtsFile: "/proc/self/environ" }],
    ["a device", { __cogtsFile: "/dev/zero" }],
    ["a nested marker", { list: [1, { __cogtsFile: "/etc/hostname" }], deep: { a: { __cogtsFile: "/etc/passwd" } } }],
    ["a relative path", { __cogtsFile: "../../../../etc/passwd" }],
  ];
  for (const [what, value] of markers) {
    it(`returns ${what} that looks like a file marker as data`, async () => {
      const response = await predict(server, { mode: "echo", arg: JSON.stringify(value) });
      expect(response.status).toBe(200);
      expect(response.body.status).toBe("succeeded");
      expect(response.body.output).toEqual(value);
      expect(response.text).not.toContain("data:");
      expect(memory.exceeded()).toBe(false);
    }, 30_000);
  }

  it("refuses a file output that is a symlink to a device, and reads nothing of it", async () => {
    const response = await predict(server, { mode: "path", arg: JSON.stringify({ target: "/dev/zero" }) });
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("failed");
    expect(String(response.body.error)).toContain("not a regular file");
    expect(memory.exceeded()).toBe(false);
    expect(memory.peakMiB()).toBeLessThan(600);
  }, 30_000);

  it("still sends a real file output as a data URL, from the prediction's own directory", async () => {
    const passwd = await predict(server, { mode: "path", arg: JSON.stringify({ target: "/etc/hostname" }) });
    expect(passwd.body.status).toBe("succeeded");
    expect(String(passwd.body.output)).toMatch(/^data:application\/octet-stream;base64,/);
    expect((await server.health()).status).toBe("READY");
  }, 30_000);
});
