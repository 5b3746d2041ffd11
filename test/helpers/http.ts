/** The JSON request helper of the server tests: one call, the status, headers, raw text and parsed body. */

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** The parsed body; {} when the body is not JSON. */
  body: Record<string, unknown>;
  text: string;
}

/**
 * Sends `body` as JSON (or `raw` as it is) with `content-type: application/json`; POST when there is a body,
 * GET otherwise, unless `method` says.
 */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {},
): Promise<JsonResponse> {
  const response = await fetch(url, {
    method: init.method ?? (init.body !== undefined || init.raw !== undefined ? "POST" : "GET"),
    headers: { "content-type": "application/json", ...init.headers },
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: response.status, headers: response.headers, body, text };
}
