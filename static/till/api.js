// The JSON API, with the session cookie and the CSRF header; every failure becomes an ApiError
// whose `kind` says what the till should do: retry ("network", "timeout", "server"), ask the
// cashier to sign in again ("auth"), or show the server's message and stop ("refused").

export class ApiError extends Error {
  constructor(kind, message, { status = 0, body = null } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.body = body;
  }

  get retryable() {
    return this.kind === "network" || this.kind === "timeout" || this.kind === "server";
  }

  /** The server's reason (`quota_exceeded`) and the messages per field, if it sent them. */
  get reason() { return this.body?.status ?? null; }
  get fieldErrors() { return this.body?.errors?.json ?? {}; }
}

async function readBody(response) {
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) return null;
  try { return await response.json(); } catch { return null; }
}

export function createApi({ base, csrf, text, timeoutMs = 8000, onReachable = () => {} }) {
  async function call(method, path, body, { timeout = timeoutMs } = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    let response;
    try {
      response = await fetch(base + path, {
        method, headers, credentials: "same-origin", cache: "no-store", signal: controller.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      onReachable(false);
      const kind = controller.signal.aborted ? "timeout" : "network";
      throw new ApiError(kind, text("network_error"));
    } finally {
      clearTimeout(timer);
    }
    onReachable(true);
    const data = await readBody(response);
    if (response.ok) return { status: response.status, data };
    const message = data?.message || text("server_error", { status: response.status });
    if (response.status >= 500) throw new ApiError("server", message, { status: response.status, body: data });
    if (response.status === 401 || (response.status === 400 && data?.message && /csrf/i.test(data.message)))
      throw new ApiError("auth", message, { status: response.status, body: data });
    throw new ApiError("refused", message, { status: response.status, body: data });
  }

  return {
    get: (path, opts) => call("GET", path, undefined, opts),
    post: (path, body = {}, opts) => call("POST", path, body, opts),
  };
}

/** A v4 UUID: crypto.randomUUID needs a secure context, which a till on http://192.168.x.y is not. */
export function newUuid() {
  if (globalThis.crypto?.randomUUID) {
    try { return crypto.randomUUID(); } catch { /* not a secure context */ }
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
