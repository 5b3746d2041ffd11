/** Output files named as Cog's CLI names them (twins of Cog's path_output, path_list_output, iterator and -o scenarios). */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extensionForMime, writeOutputs } from "./outputs.js";

const file = (mime: string, text: string) => `data:${mime};base64,${Buffer.from(text).toString("base64")}`;

describe("writeOutputs", () => {
  it("names a single file output after its MIME type, or -o", () => {
    const cwd = mkdtempSync(join(tmpdir(), "outputs-"));
    expect(writeOutputs(file("image/bmp", "bmp"), { cwd }).files).toEqual(["output.bmp"]);
    expect(readFileSync(join(cwd, "output.bmp"), "utf8")).toBe("bmp");
    expect(writeOutputs(file("image/png", "png"), { cwd, outputPath: "myoutput.bmp" }).files).toEqual(["myoutput.bmp"]);
    expect(writeOutputs(file("image/png", "png"), { cwd, outputPath: "named" }).files).toEqual(["named.png"]);
  });

  it("numbers the files of a list (or iterator) before the extension", () => {
    const cwd = mkdtempSync(join(tmpdir(), "outputs-"));
    const list = [file("image/png", "a"), file("image/png", "b")];
    expect(writeOutputs(list, { cwd }).files).toEqual(["output.0.png", "output.1.png"]);
    expect(writeOutputs([file("text/plain", "foo")], { cwd }).files).toEqual(["output.0.txt"]);
    expect(writeOutputs(list, { cwd, outputPath: "out.jpg" }).files).toEqual(["out.0.jpg", "out.1.jpg"]);
    mkdirSync(join(cwd, "dir"));
    expect(writeOutputs(list, { cwd, outputPath: "dir" }).files).toEqual(["dir/output.0.png", "dir/output.1.png"]);
    expect(readFileSync(join(cwd, "dir", "output.1.png"), "utf8")).toBe("b");
  });

  it("names an object's files after their fields (a training's weights)", () => {
    const cwd = mkdtempSync(join(tmpdir(), "outputs-"));
    const written = writeOutputs(
      { weights: file("application/octet-stream", "w"), epochs: 3 },
      { cwd, outputPath: "weights" },
    );
    expect(written.files).toEqual(["weights.bin"]);
    expect(JSON.parse(written.printed!)).toEqual({ weights: "weights.bin", epochs: 3 });
  });

  it("prints text and JSON, or writes them to -o", () => {
    const cwd = mkdtempSync(join(tmpdir(), "outputs-"));
    expect(writeOutputs("hello", { cwd }).printed).toBe("hello");
    expect(writeOutputs({ a: 1 }, { cwd }).printed).toBe('{\n  "a": 1\n}');
    expect(writeOutputs("hello", { cwd, outputPath: "out.txt" }).files).toEqual(["out.txt"]);
    expect(writeOutputs(["a", "b"], { cwd, concatenate: true }).printed).toBe("ab");
  });

  it("knows the common MIME types", () => {
    for (const [mime, ext] of [
      ["image/bmp", ".bmp"],
      ["image/jpeg", ".jpg"],
      ["image/webp", ".webp"],
      ["audio/wav", ".wav"],
      ["video/mp4", ".mp4"],
      ["image/svg+xml", ".svg"],
      ["image/tiff", ".tiff"],
      ["text/plain; charset=utf-8", ".txt"],
    ]) {
      expect(extensionForMime(mime!)).toBe(ext);
    }
    expect(extensionForMime("application/x-unknown")).toBe("");
  });
});
