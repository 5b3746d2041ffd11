import { UsageError } from "../errors.js";

/** Where pushes go when the image name has no registry host, as in Cog (`COG_REGISTRY_HOST` overrides). */
export function defaultRegistryHost(): string {
  return process.env.COG_REGISTRY_HOST || "r8.im";
}

interface ImageReference {
  /** `host[:port]` as the user wrote it. */
  registry: string;
  /** Repository path inside the registry, e.g. `owner/model`. */
  repository: string;
  /** Tag, when the reference names one (default `latest` when neither tag nor digest is given). */
  tag?: string;
  digest?: string;
}

const REPO_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Parses `[host[:port]/]path[:tag][@sha256:...]` the way docker does: the first component is a host
 * when it has a dot or a colon or is `localhost`; otherwise the default registry host is used.
 */
export function parseReference(input: string, defaultHost = defaultRegistryHost()): ImageReference {
  let rest = input.trim();
  if (!rest) throw new UsageError("An image name is required, e.g. r8.im/OWNER/MODEL.");
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new UsageError(`Invalid digest in image name "${input}".`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) throw new UsageError(`Invalid tag "${tag}" in image name "${input}".`);
  }
  const parts = rest.split("/");
  let registry = defaultHost;
  if (parts.length > 1 && (parts[0]!.includes(".") || parts[0]!.includes(":") || parts[0] === "localhost")) {
    registry = parts.shift()!;
  }
  const repository = parts.join("/");
  if (!parts.every((p) => REPO_COMPONENT.test(p))) {
    throw new UsageError(
      `Invalid image name "${input}": repository names are lowercase letters, digits and separators (. _ -), e.g. r8.im/owner/model.`,
    );
  }
  if (!tag && !digest) tag = "latest";
  return { registry, repository, tag, digest };
}

/**
 * The base URL of a registry. Loopback hosts use plain http, as docker treats them as insecure registries;
 * `COGTS_INSECURE_REGISTRIES` (comma-separated hosts) adds others, for tests and private setups.
 */
export function registryBaseUrl(host: string): string {
  const name = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  const insecure = (process.env.COGTS_INSECURE_REGISTRIES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const plain =
    name === "localhost" ||
    name === "127.0.0.1" ||
    name === "::1" ||
    insecure.includes(host) ||
    insecure.includes(name);
  return `${plain ? "http" : "https"}://${host}`;
}
