/**
 * Reading Server-Sent Events (`Accept: text/event-stream` answers of the prediction API): one parser for a whole
 * body and for a body read as it arrives. A frame without an `event:` line is a "message"; comment lines (`:`)
 * are dropped; several `data:` lines are joined with newlines; the data is JSON.
 */

export interface SseFrame<T = unknown> {
  event: string;
  data: T;
}

export interface SseEvent<T = unknown> extends SseFrame<T> {
  /** performance.now() when the frame's last bytes arrived */
  at: number;
}

/** One frame (the text between blank lines), or undefined when it holds only comments or no data. */
export function parseSseFrame<T = unknown>(frame: string): SseFrame<T> | undefined {
  const lines = frame.split("\n").filter((line) => line !== "" && !line.startsWith(":"));
  const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
  if (data.length === 0) return undefined;
  const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
  return { event, data: JSON.parse(data.join("\n")) as T };
}

/** Parses a complete text/event-stream body (frames as sent, without arrival times). */
export function parseSseText<T = unknown>(text: string): SseFrame<T>[] {
  return text.split("\n\n").flatMap((frame) => parseSseFrame<T>(frame) ?? []);
}

/** Collects the events of a streaming response as they arrive; stops early once `stopAfter(events)` is true. */
export async function readSseEvents<T = unknown>(
  response: Response,
  stopAfter?: (events: SseEvent<T>[]) => boolean,
): Promise<SseEvent<T>[]> {
  const events: SseEvent<T>[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const at = performance.now();
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = parseSseFrame<T>(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) events.push({ ...frame, at });
    }
    if (stopAfter?.(events)) break;
  }
  return events;
}
