// Small DOM helpers shared by the page's modules.

/** An element with attributes (undefined ones skipped) and children (strings become text, never HTML). */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== undefined && child !== null && child !== "") node.append(child);
  return node;
}

const EXTENSIONS = {
  image: ["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "avif"],
  audio: ["wav", "mp3", "ogg", "oga", "flac", "m4a", "aac", "opus"],
  video: ["mp4", "webm", "mov", "mkv", "ogv"],
};

/** The MIME type of a data: URL, or a guess from an http(s) URL's extension. */
export function mimeOf(url) {
  const data = /^data:([^;,]*)[;,]/i.exec(url);
  if (data) return data[1].toLowerCase() || "text/plain";
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url.replace(/^https?:\/\/[^/]*/i, ""))?.[1]?.toLowerCase();
  for (const [kind, list] of Object.entries(EXTENSIONS)) if (ext && list.includes(ext)) return `${kind}/${ext}`;
  return ext ? `application/${ext}` : "";
}

/** "image", "audio", "video", "file" (another URL) or undefined (not a URL). */
export function fileKind(value) {
  if (typeof value !== "string" || !/^(data:|https?:\/\/)/i.test(value)) return undefined;
  const kind = mimeOf(value).split("/")[0];
  return kind === "image" || kind === "audio" || kind === "video" ? kind : "file";
}

/** A file name for a URL output: the last path segment, or output.EXT for a data: URL. */
export function fileName(url, index) {
  if (url.startsWith("data:")) {
    const sub = mimeOf(url).split("/")[1]?.split("+")[0] || "bin";
    return `output${index === undefined ? "" : `.${index}`}.${sub === "plain" ? "txt" : sub === "jpeg" ? "jpg" : sub === "mpeg" ? "mp3" : sub}`;
  }
  return decodeURIComponent(url.split(/[?#]/)[0].split("/").pop() || "output");
}
