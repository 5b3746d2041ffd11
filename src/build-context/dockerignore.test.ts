import { describe, expect, it } from "vitest";
import { parseDockerignore } from "./dockerignore.js";

describe(".dockerignore matching", () => {
  it("anchors patterns at the root and excludes what is under a matched directory", () => {
    const ignored = parseDockerignore("/data\nbuild/\n# comment\n\n*.log");
    expect(ignored("data")).toBe(true);
    expect(ignored("data/x/y.bin")).toBe(true);
    expect(ignored("src/data")).toBe(false);
    expect(ignored("build/out.js")).toBe(true);
    expect(ignored("debug.log")).toBe(true);
    expect(ignored("logs/debug.log")).toBe(false);
  });

  it("lets ** cross directories and * stay within one", () => {
    const ignored = parseDockerignore("**/*.tmp\nsrc/*.bak");
    expect(ignored("a/b/c.tmp")).toBe(true);
    expect(ignored("c.tmp")).toBe(true);
    expect(ignored("src/x.bak")).toBe(true);
    expect(ignored("src/deep/x.bak")).toBe(false);
  });

  it("re-includes with ! and lets the last matching line win", () => {
    const ignored = parseDockerignore("*.md\n!README.md\nREADME.md");
    expect(ignored("NOTES.md")).toBe(true);
    expect(ignored("README.md")).toBe(true);
    const keep = parseDockerignore("docs\n!docs/keep.txt");
    expect(keep("docs/other.txt")).toBe(true);
    expect(keep("docs/keep.txt")).toBe(false);
    expect(keep.hasExceptions).toBe(true);
  });

  it("understands ? and character classes", () => {
    const ignored = parseDockerignore("file?.txt\n[ab].bin");
    expect(ignored("file1.txt")).toBe(true);
    expect(ignored("file10.txt")).toBe(false);
    expect(ignored("a.bin")).toBe(true);
    expect(ignored("c.bin")).toBe(false);
  });
});
