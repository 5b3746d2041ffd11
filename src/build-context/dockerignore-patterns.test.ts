/**
 * `.dockerignore` decides as Docker's patternmatcher does, quirks included: classes, escapes and `**` are read the
 * way Docker's Go regexp reads them, and patterns Docker refuses are refused here with their line.
 */
import { describe, expect, it } from "vitest";
import { parseDockerignore } from "./dockerignore.js";

const ignores = (patterns: string, path: string) => parseDockerignore(patterns)(path);

describe(".dockerignore as Docker reads it", () => {
  it("reads [!a] as the class of ! and a, and [^a] as not a", () => {
    expect(ignores("[!a].txt", "!.txt")).toBe(true);
    expect(ignores("[!a].txt", "a.txt")).toBe(true);
    expect(ignores("[!a].txt", "b.txt")).toBe(false);
    expect(ignores("[^a].txt", "b.txt")).toBe(true);
    expect(ignores("[^a].txt", "a.txt")).toBe(false);
    expect(ignores("a[^b-d]e", "aze")).toBe(true);
    expect(ignores("a[b-d]e", "ace")).toBe(true);
    expect(ignores("a[b-d]e", "aae")).toBe(false);
  });

  it("reads classes and escapes as Go's regexp does", () => {
    expect(ignores("[[:digit:]].bin", "7.bin")).toBe(true);
    expect(ignores("[[:digit:]].bin", "x.bin")).toBe(false);
    expect(ignores("f\\d", "f5")).toBe(true);
    expect(ignores("f\\d", "fd")).toBe(false);
    expect(ignores("a\\*b", "a*b")).toBe(true);
    expect(ignores("a\\*b", "axb")).toBe(false);
    expect(ignores("a\\\\", "a\\")).toBe(true);
    expect(ignores("[\\]a]", "]")).toBe(true);
    expect(ignores("[x\\-]", "-")).toBe(true);
    expect(ignores("[x\\-]", "z")).toBe(false);
    // `*` inside a class becomes Go's `[^/]*` and closes the class early, as in Docker.
    expect(ignores("[*]", "]")).toBe(true);
    expect(ignores("[*]", "*")).toBe(false);
  });

  it("keeps * and ? within one element, takes whole characters, and escapes regexp characters", () => {
    expect(ignores("a?b", "a☺b")).toBe(true);
    expect(ignores("a???b", "a☺b")).toBe(false);
    expect(ignores("?", "😀")).toBe(true);
    expect(ignores("[a-ζ]*", "α")).toBe(true);
    expect(ignores("a*b", "a/b")).toBe(false);
    expect(ignores("a*/b", "abc/b")).toBe(true);
    expect(ignores("a*b*c*d*e*/f", "axbxcxdxe/xxx/f")).toBe(false);
    expect(ignores(".*", ".foo")).toBe(true);
    expect(ignores(".*", "foo")).toBe(false);
    expect(ignores("abc.def", "abcZdef")).toBe(false);
    expect(ignores("a.|)$(}+{bc", "a.|)$(}+{bc")).toBe(true);
    expect(ignores("*.whl", "proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl")).toBe(true);
    expect(ignores("?", "\r")).toBe(true);
  });

  it("matches ** as prefix, suffix or regexp as Docker does", () => {
    expect(ignores("**", "dir/file")).toBe(true);
    expect(ignores("dir/**", "dir/dir2/file")).toBe(true);
    expect(ignores("abc/**", "abc")).toBe(false);
    expect(ignores("**/dir", "dir")).toBe(true);
    expect(ignores("**/dir", "dir/file")).toBe(true);
    expect(ignores("**file", "dir/dir/file")).toBe(true);
    expect(ignores("**file", "dir/myfile")).toBe(true);
    expect(ignores("**/.foo", "bar.foo")).toBe(false);
    expect(ignores("**/**/*.txt", "file.txt")).toBe(true);
    expect(ignores("**/**/*.txt2", "dir/dir/file.txt")).toBe(false);
    expect(ignores("a**/*.txt", "a/dir/dir/file.txt")).toBe(true);
    expect(ignores("foo**", "foobar/x")).toBe(true);
    expect(ignores("**/dir2/*", "dir/dir2/file/x")).toBe(true);
  });

  it("reads lines as ignorefile does: # only at the start, ! then spaces, cleaned paths", () => {
    expect(ignores(" #notes", "#notes")).toBe(true);
    expect(ignores("#notes", "#notes")).toBe(false);
    expect(ignores("\uFEFFsecret", "secret")).toBe(true);
    expect(ignores("*\n!  keep.txt", "keep.txt")).toBe(false);
    expect(ignores("./a/../b//c/", "b/c/d")).toBe(true);
    expect(ignores("/data", "data/x")).toBe(true);
    expect(ignores("**\n!util/docker/web", "util/docker/web/foo")).toBe(false);
    expect(ignores("docs\n!docs/README.md", "docs/README.md")).toBe(false);
    expect(ignores("*.go\n!fileutils.go", "fileutils.go")).toBe(false);
    expect(ignores("!fileutils.go\n*.go", "fileutils.go")).toBe(true);
    expect(ignores(".", "a")).toBe(false);
  });

  it("refuses what Docker refuses, naming the line", () => {
    for (const bad of [
      "[",
      "a[",
      "[^bc",
      "[]a]",
      "[-]",
      "[x-]",
      "[-x]",
      "[a-b-c]",
      "\\",
      "[z-a]",
      "!",
      "[[:nope:]]",
      "a\\q*",
    ]) {
      expect(() => parseDockerignore(`ok\n${bad}`), bad).toThrow(/\.dockerignore:2: /);
    }
    expect(() => parseDockerignore(`${"x".repeat(70_000)}\n`)).toThrow(/\.dockerignore:1: .*64 KiB/);
  });
});
