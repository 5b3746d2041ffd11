// Outputs rendered by what they are: text, numbers, a JSON tree, media players, download links, galleries.
import { el, fileKind, fileName } from "./dom.js";

function fileView(url, index) {
  const kind = fileKind(url);
  const name = fileName(url, index);
  const link = el("a", { href: url, download: name }, [`Download ${name}`]);
  if (kind === "image")
    return el("figure", {}, [
      el("img", { class: "out-media", src: url, alt: `output ${name}` }),
      el("figcaption", {}, [link]),
    ]);
  if (kind === "audio" || kind === "video")
    return el("figure", {}, [el(kind, { class: "out-media", src: url, controls: "" }), el("figcaption", {}, [link])]);
  return el("p", {}, [link]);
}

function tree(value) {
  if (value === null || typeof value !== "object") {
    const cls = typeof value === "string" ? "str" : typeof value === "number" ? "num" : "lit";
    if (fileKind(value)) return fileView(value);
    return el("span", { class: cls }, [JSON.stringify(value)]);
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  if (entries.length === 0) return el("span", { class: "lit" }, [Array.isArray(value) ? "[]" : "{}"]);
  return el(
    "ul",
    { role: "group" },
    entries.map(([key, item]) => {
      const nested = item !== null && typeof item === "object" && Object.keys(item).length > 0;
      const label = el("span", { class: "key" }, [`${key}: `]);
      if (!nested) return el("li", {}, [label, tree(item)]);
      return el("li", {}, [
        el("details", { open: "" }, [
          el("summary", {}, [
            label,
            el("span", { class: "muted" }, [Array.isArray(item) ? `[${item.length}]` : "{…}"]),
          ]),
          tree(item),
        ]),
      ]);
    }),
  );
}

/** Renders a whole output value into `container`; `schema` is the Output schema (for concatenate iterators). */
export function renderOutput(container, value, schema = {}) {
  container.replaceChildren(outputNode(value, schema));
}

export function outputNode(value, schema = {}) {
  if (value === undefined || value === null) return el("p", { class: "muted" }, ["(no output)"]);
  if (typeof value === "string") return fileKind(value) ? fileView(value) : el("pre", { class: "out-text" }, [value]);
  if (typeof value === "number" || typeof value === "boolean")
    return el("output", { class: "out-number" }, [String(value)]);
  if (Array.isArray(value)) {
    if (schema["x-cog-array-display"] === "concatenate" && value.every((v) => typeof v === "string"))
      return el("pre", { class: "out-text" }, [value.join("")]);
    if (value.length > 0 && value.every((v) => fileKind(v)))
      return el(
        "div",
        { class: "gallery" },
        value.map((v, i) => fileView(v, i)),
      );
    if (value.every((v) => typeof v === "string" || typeof v === "number"))
      return el(
        "ol",
        { class: "out-list" },
        value.map((v) => el("li", {}, [String(v)])),
      );
  }
  const root = el("div", { class: "tree", role: "tree", "aria-label": "output" }, [tree(value)]);
  return root;
}

/** An iterator's output as it streams: growing text for a concatenate iterator (and strings), else items. */
export class StreamView {
  constructor(container, schema = {}) {
    this.container = container;
    this.items = [];
    this.text = null;
    this.list = null;
    this.concatenate = schema["x-cog-array-display"] === "concatenate";
    container.replaceChildren();
  }

  push(chunk) {
    this.items.push(chunk);
    if (typeof chunk === "string" && !fileKind(chunk)) {
      if (!this.text) {
        this.text = el("pre", { class: "out-text", "aria-live": "off" });
        this.container.append(this.text);
      }
      // A token iterator reads as text: concatenated, or one item a line.
      this.text.append(this.concatenate || this.items.length === 1 ? chunk : `\n${chunk}`);
      return;
    }
    if (fileKind(chunk)) {
      if (!this.list) {
        this.list = el("div", { class: "gallery" });
        this.container.append(this.list);
      }
      this.list.append(fileView(chunk, this.items.length - 1));
      return;
    }
    this.container.append(outputNode(chunk));
  }
}
