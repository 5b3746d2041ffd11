// The model server's API, reached through the playground's same-origin proxy under /api.

/** Explains a refusal the way a model author needs it. */
export function explainRefusal(status, body) {
  const detail = typeof body?.detail === "string" ? body.detail : body?.error;
  if (status === 409)
    return "409 Conflict: the model is already running a prediction and takes one at a time (concurrency.max in cog.yaml raises that). Wait for it to finish, or cancel it.";
  if (status === 503)
    return `503 Service Unavailable: the model is not ready to predict (setup has not finished, or it failed: see the health status above).${detail ? ` ${detail}` : ""}`;
  if (status === 502) return `The playground cannot reach the model server.${detail ? ` ${detail}` : ""}`;
  if (status === 406) return `406: ${detail ?? "the model does not stream"}`;
  if (status === 413)
    return "413: the request is too large for the server (large files: give an https:// URL instead of uploading).";
  return `${status}: ${detail ?? JSON.stringify(body)}`;
}

async function bodyOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { error: text };
  }
}

/** Parses a text/event-stream body, calling onEvent(name, data) for each event as it arrives. */
export async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length === 0) continue;
      let parsed;
      try {
        parsed = JSON.parse(data.join("\n"));
      } catch {
        parsed = data.join("\n");
      }
      onEvent(name, parsed);
    }
  }
}

/**
 * Runs one prediction with a known id (PUT, so Cancel can name it). Streams over SSE when the model streams.
 * Returns { refused: {status, body} } or { prediction }.
 */
export async function predict({ id, input, stream, signal, onEvent, webhook }) {
  const response = await fetch(`/api/predictions/${encodeURIComponent(id)}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(stream ? { accept: "text/event-stream" } : {}) },
    body: JSON.stringify({ id, input, ...(webhook ? { webhook, webhook_events_filter: ["start", "logs"] } : {}) }),
    signal,
  });
  if (!response.ok) return { refused: { status: response.status, body: await bodyOf(response) } };
  if (!stream || !(response.headers.get("content-type") ?? "").includes("text/event-stream"))
    return { prediction: await bodyOf(response) };
  let final;
  await readEvents(response, (name, data) => {
    if (name === "completed") final = data;
    onEvent(name, data);
  });
  return { prediction: final ?? { id, status: "failed", error: "the event stream ended without a completed event" } };
}

/**
 * Listens for the webhooks the playground relays for `token` (a prediction that does not stream: its live logs);
 * resolves once listening (or after a second at most), with the EventSource to close afterwards.
 */
export function listenForWebhooks(token, onUpdate) {
  return new Promise((resolve) => {
    const source = new EventSource(`/events/${token}`);
    source.onmessage = (event) => {
      try {
        onUpdate(JSON.parse(event.data));
      } catch {
        /* a partial relay: the final answer still comes */
      }
    };
    source.onopen = () => resolve(source);
    setTimeout(() => resolve(source), 1000);
  });
}

export async function cancel(id) {
  const response = await fetch(`/api/predictions/${encodeURIComponent(id)}/cancel`, { method: "POST" });
  return response.status;
}

export async function health() {
  const response = await fetch("/api/health-check", { cache: "no-store" });
  if (response.status === 502) return { status: "UNREACHABLE", error: (await bodyOf(response)).error };
  return bodyOf(response);
}

export async function openapi() {
  const response = await fetch("/api/openapi.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
  return response.json();
}
