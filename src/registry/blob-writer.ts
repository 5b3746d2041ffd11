import { PassThrough, Transform, pipeline } from "node:stream";
import type { Readable, TransformCallback } from "node:stream";
import { UserError } from "../errors.js";
import { RegistryHttpError, backoffDelay, errorDetailOf, header, isRetryable, sleep } from "./client.js";
import type { RegistryClient, RegistryResponse } from "./client.js";
import type { StreamedUpload } from "./layers/index.js";
import type { ProgressSink } from "./progress.js";

/**
 * Writes blobs to one repository over the OCI distribution API (opencontainers/distribution-spec spec.md §Push),
 * one method per protocol step, as go-containerregistry's remote writer splits them: check, initiate (or mount),
 * send whole / in chunks / streamed, commit, and `uploadOne` to retry the lot.
 */

export interface Blob {
  digest: string;
  size: number;
  /** A byte range of the blob (inclusive start, exclusive end), opened afresh for every attempt. */
  open(start: number, end: number): Readable;
  /** The name progress lines use. */
  label: string;
}

type BlobOutcome = "exists" | "mounted" | "uploaded";

interface BlobWriterOptions {
  repository: string;
  /** Blobs bigger than this go up in chunks (Cog: 128 MiB). */
  chunkedThreshold: number;
  /** Chunk size before the registry's OCI-Chunk-Min/Max-Length (Cog: 96 MiB). */
  chunkSize: number;
  progress?: ProgressSink;
}

/** An upload session the registry opened (a 202 to POST), with the chunk sizes it asked for. */
interface UploadSession {
  location: URL;
  minChunk: number;
  maxChunk: number;
}

/** Status codes with which a registry says it does not do chunked (PATCH) uploads. */
const CHUNKING_REFUSED = new Set([400, 405, 411, 415, 501]);

/** The registry no longer knows an upload session; the blob starts over in a new one. */
export class SessionLostError extends UserError {
  constructor(label: string) {
    super(`The registry dropped the upload session of ${label}.`);
  }
}

class Counter extends Transform {
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, done: TransformCallback): void {
    this.onBytes(chunk.length);
    done(null, chunk);
  }
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url;
}

/** The upload's next Location, resolved against the request URL (it may be relative, and may carry state). */
function locationOf(res: RegistryResponse): URL {
  const loc = header(res, "location");
  if (!loc)
    throw new UserError(`The registry answered ${res.status} to ${res.url.pathname} without a Location header.`);
  return new URL(loc, res.url);
}

/** `Range: 0-<end>` → the next offset. distribution sends `0--1` for an empty session. */
function nextOffset(res: RegistryResponse): number | undefined {
  const range = header(res, "range");
  const m = range ? /^(?:bytes=)?0-(-?\d+)$/.exec(range.trim()) : null;
  return m ? Number(m[1]) + 1 : undefined;
}

function chunkLimits(res: RegistryResponse): { minChunk: number; maxChunk: number } {
  const min = Number(header(res, "oci-chunk-min-length") ?? 0);
  const max = Number(header(res, "oci-chunk-max-length") ?? 0);
  return {
    minChunk: Number.isFinite(min) && min > 0 ? min : 0,
    maxChunk: Number.isFinite(max) && max > 0 ? max : Infinity,
  };
}

function retryAfter(res: RegistryResponse): number | undefined {
  const v = header(res, "retry-after");
  return v && /^\d+$/.test(v) ? Number(v) * 1000 : undefined;
}

export class BlobWriter {
  /** Layer and config bytes sent in request bodies (retries included). */
  uploadedBytes = 0;
  /** Once a registry refused a PATCH, every later blob of this push goes up whole. */
  private chunkingRefused = false;
  private readonly streamed = new WeakMap<StreamedUpload, Promise<URL | undefined>>();
  private readonly uploads: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly options: BlobWriterOptions,
  ) {
    this.uploads = `/v2/${options.repository}/blobs/uploads/`;
  }

  /** spec.md §Checking if content exists in the registry (end-2): HEAD → 200 present, 404 absent. */
  async exists(digest: string, what: string): Promise<boolean> {
    const res = await this.client.request(
      { method: "HEAD", url: `/v2/${this.options.repository}/blobs/${digest}` },
      what,
      [200, 404],
    );
    return res.status === 200;
  }

  /**
   * spec.md §Pushing blobs (end-4a): POST opens an upload session → 202 with Location; with `mountFrom`,
   * §Mounting a blob from another repository (end-11): 201 mounted, 202 a plain session instead.
   */
  async initiate(blob: Blob, mountFrom?: string): Promise<{ mounted: true } | ({ mounted: false } & UploadSession)> {
    if (mountFrom) {
      try {
        const res = await this.client.request(
          {
            method: "POST",
            url: `${this.uploads}?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(mountFrom)}`,
            headers: { "content-length": "0" },
          },
          `Mounting ${blob.label}`,
          [201, 202],
        );
        if (res.status === 201) return { mounted: true };
        return { mounted: false, location: locationOf(res), ...chunkLimits(res) };
      } catch (err) {
        if (err instanceof RegistryHttpError && !err.retryable) {
          /* go-containerregistry's fallback: upload without mount */
        } else throw err;
      }
    }
    const res = await this.client.request(
      { method: "POST", url: this.uploads, headers: { "content-length": "0" } },
      `Starting the upload of ${blob.label}`,
      [202],
    );
    return { mounted: false, location: locationOf(res), ...chunkLimits(res) };
  }

  /** spec.md §Pushing a blob monolithically (end-6): PUT <location>?digest= with the whole body → 201. */
  async putWhole(blob: Blob, location: URL): Promise<void> {
    // One attempt only: a session whose PUT failed is gone, so uploadOne retries with a new one.
    const res = await this.client.send(
      {
        method: "PUT",
        url: withDigest(location, blob.digest),
        headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
        body: this.bodyOf(blob, 0, blob.size),
      },
      `Uploading ${blob.label}`,
    );
    if (res.status !== 201)
      throw new RegistryHttpError(
        this.client.registry,
        res.status,
        `Uploading ${blob.label}`,
        errorDetailOf(res),
        retryAfter(res),
      );
  }

  /**
   * spec.md §Pushing a blob in chunks (end-5): PATCH with Content-Range → 202 with the next Location and Range;
   * after a failed chunk, GET <location> (end-13) → 204 with the Range the registry holds, and resume from there.
   * Then commit. "refused": the registry does not take PATCH, nothing was sent.
   */
  async putChunked(blob: Blob, session: UploadSession): Promise<"done" | "refused"> {
    const { client } = this;
    const chunk = Math.min(Math.max(this.options.chunkSize, session.minChunk), session.maxChunk);
    let location = session.location;
    let offset = 0;
    let failures = 0;
    while (offset < blob.size) {
      const end = Math.min(offset + chunk, blob.size);
      try {
        const res = await client.send(
          {
            method: "PATCH",
            url: location,
            headers: {
              "content-type": "application/octet-stream",
              "content-range": `${offset}-${end - 1}`,
              "content-length": String(end - offset),
            },
            body: this.bodyOf(blob, offset, end),
          },
          `Uploading ${blob.label}`,
        );
        if (res.status === 202) {
          location = locationOf(res);
          offset = nextOffset(res) ?? end;
          continue;
        }
        if (offset === 0 && CHUNKING_REFUSED.has(res.status)) return "refused";
        if (res.status !== 416 && res.status !== 429 && res.status < 500) {
          throw new RegistryHttpError(client.registry, res.status, `Uploading ${blob.label}`, errorDetailOf(res));
        }
        throw new RegistryHttpError(
          client.registry,
          res.status,
          `Uploading ${blob.label}`,
          errorDetailOf(res),
          retryAfter(res),
        );
      } catch (err) {
        const outOfOrder = err instanceof RegistryHttpError && err.status === 416;
        if (!outOfOrder && !isRetryable(err)) throw err;
        if (++failures >= client.retry.attempts) throw err;
        await sleep(outOfOrder ? 0 : backoffDelay(client.retry, failures, err));
        location = await this.resumeAt(blob, location, (resumeAt) => {
          this.options.progress?.update(blob.label, { sent: resumeAt - offset, resumed: true });
          offset = resumeAt;
        });
      }
    }
    await this.commit(blob, location);
    return "done";
  }

  /** spec.md §Pushing a blob in chunks, upload status (end-13): GET <location> → 204 with Range; the new Location. */
  private async resumeAt(blob: Blob, location: URL, onOffset: (offset: number) => void): Promise<URL> {
    const status = await this.client
      .request({ method: "GET", url: location }, `Checking the upload of ${blob.label}`)
      .catch(() => undefined);
    // distribution invalidates a session whose PATCH died halfway (its signed state no longer matches).
    if (!status || status.status !== 204) throw new SessionLostError(blob.label);
    onOffset(nextOffset(status) ?? 0);
    return header(status, "location") ? locationOf(status) : location;
  }

  /** spec.md §Pushing a blob in chunks, closing (end-6): PUT <location>?digest= with no body → 201. */
  async commit(blob: Blob, location: URL): Promise<void> {
    await this.client.request(
      { method: "PUT", url: withDigest(location, blob.digest), headers: { "content-length": "0" } },
      `Finishing ${blob.label}`,
      [201],
    );
  }

  /** spec.md §Pushing a blob in chunks, cancelling (end-14): DELETE <location>; failures do not matter. */
  async cancel(blob: Blob, location: URL): Promise<void> {
    await this.client.request({ method: "DELETE", url: location }, `Cancelling ${blob.label}`).catch(() => undefined);
  }

  /**
   * One blob, whichever way it goes: HEAD, then mount or a new session, sent whole or in chunks; a whole-blob PUT
   * that failed or a chunked session the registry dropped starts over in a new session (retry policy's attempts).
   */
  async uploadOne(blob: Blob, mountFrom?: () => string | undefined): Promise<BlobOutcome> {
    const {
      client,
      options: { progress },
    } = this;
    progress?.start(blob.label, blob.size);
    if (await this.exists(blob.digest, `Checking ${blob.label}`)) {
      progress?.finish(blob.label, "exists");
      return "exists";
    }
    const from = mountFrom?.();
    for (let attempt = 1; ; attempt++) {
      try {
        const session = await this.initiate(blob, from);
        if (session.mounted) {
          progress?.finish(blob.label, "mounted");
          return "mounted";
        }
        progress?.update(blob.label, { reset: true });
        if (blob.size > this.options.chunkedThreshold && !this.chunkingRefused) {
          if ((await this.putChunked(blob, session)) === "refused") {
            this.chunkingRefused = true;
            await this.cancel(blob, session.location);
            continue;
          }
        } else {
          await this.putWhole(blob, session.location);
        }
        progress?.finish(blob.label, "pushed");
        return "uploaded";
      } catch (err) {
        if (attempt >= client.retry.attempts || !(isRetryable(err) || err instanceof SessionLostError)) throw err;
        await sleep(backoffDelay(client.retry, attempt, err));
      }
    }
  }

  /**
   * spec.md §Pushing a blob in chunks, streamed as go-containerregistry's `streamBlob`: POST, then one PATCH whose
   * body is the layer's compressed bytes as they are produced. The digest is known only at the end: `commitStreamed`.
   */
  stream(): StreamedUpload {
    const { client } = this;
    const sink = new PassThrough({ highWaterMark: 4 << 20 });
    // The producer destroys the sink when its layer fails. That aborts the request wherever it is: a body stream
    // that dies before undici starts reading it (the layer failed while the POST was out) would otherwise leave
    // the PATCH waiting forever, and client.close() with it.
    sink.on("error", () => undefined);
    const abort = new AbortController();
    sink.on("close", () => {
      if (!sink.readableEnded) abort.abort(new Error("the layer failed before its upload finished"));
    });
    let consumed = false;
    const result = (async () => {
      try {
        const res = await client.request(
          { method: "POST", url: this.uploads, headers: { "content-length": "0" } },
          "Starting a streamed upload",
          [202],
        );
        if (abort.signal.aborted) return undefined;
        const patch = await client.send(
          {
            method: "PATCH",
            url: locationOf(res),
            headers: { "content-type": "application/octet-stream" },
            signal: abort.signal,
            body: () => {
              // The body can be sent once: a retry after a 401 must fail over to the upload from the cache.
              if (consumed) throw new Error("streamed body already sent");
              consumed = true;
              // pipeline, not pipe: a layer that fails midway must abort this request, not leave it waiting.
              return pipeline(
                sink,
                new Counter((n) => {
                  this.uploadedBytes += n;
                }),
                () => undefined,
              );
            },
          },
          "Streaming a layer",
        );
        return patch.status === 202 ? locationOf(patch) : undefined;
      } catch {
        return undefined;
      } finally {
        // Whatever happened, the compressor must not wait on a reader that is gone.
        sink.resume();
      }
    })();
    const handle: StreamedUpload = { sink };
    this.streamed.set(handle, result);
    return handle;
  }

  /** Commits a streamed upload with the digest now known; false: it failed, send the blob with `uploadOne`. */
  async commitStreamed(blob: Blob, streamed: StreamedUpload): Promise<boolean> {
    const location = await this.streamed.get(streamed);
    if (!location) return false;
    try {
      this.options.progress?.start(blob.label, blob.size);
      await this.commit(blob, location);
    } catch {
      return false;
    }
    this.options.progress?.finish(blob.label, "pushed");
    return true;
  }

  /** Sends one request body, counting bytes as they leave. */
  private bodyOf(blob: Blob, start: number, end: number): () => Readable {
    return () =>
      blob.open(start, end).pipe(
        new Counter((n) => {
          this.uploadedBytes += n;
          this.options.progress?.update(blob.label, { sent: n });
        }),
      );
  }
}
