// Sending a sale so that it is recorded exactly once. The sale gets its UUID before the first
// try and is kept (id and body) in localStorage until the server answers; a network error,
// a timeout or a 5xx is retried with the SAME id and body, so a sale the server stored but
// whose answer was lost comes back as 200 with the stored sale instead of a second sale.
// A 409/422 is the server refusing: it is not retried and the pending sale is dropped.
import { newUuid } from "./api.js";

const DELAYS_MS = [1000, 2000, 3000, 5000];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class SaleOutbox {
  /** onStatus({attempt, retrying}): attempt 1 is the first try; retrying is true after a failure. */
  constructor(api, storageKey, { onStatus = () => {} } = {}) {
    this.api = api;
    this.key = storageKey;
    this.onStatus = onStatus;
    this.running = null;
  }

  get pending() {
    try { return JSON.parse(localStorage.getItem(this.key) || "null"); } catch { return null; }
  }

  /** Send a new sale body (without id); resolves with the stored sale. */
  submit(body) {
    if (this.pending) return this.resume();
    const sale = { ...body, id: newUuid() };
    localStorage.setItem(this.key, JSON.stringify({ sale, since: Date.now() }));
    return this.resume();
  }

  /** Go on sending the pending sale (after a reload, or a sign-in again). */
  resume() {
    if (!this.running) {
      this.running = this.#send().finally(() => { this.running = null; });
    }
    return this.running;
  }

  async #send() {
    const { sale } = this.pending;
    for (let attempt = 1; ; attempt++) {
      this.onStatus({ attempt, retrying: attempt > 1 });
      try {
        const { status, data } = await this.api.post("/sales", sale, { timeout: 10000 });
        localStorage.removeItem(this.key);
        return { ...data, replayed: status === 200 }; // 200: the server already had it
      } catch (err) {
        if (err.kind === "refused") localStorage.removeItem(this.key);
        if (!err.retryable) throw err;
        this.onStatus({ attempt: attempt + 1, retrying: true, error: err });
        await sleep(DELAYS_MS[Math.min(attempt - 1, DELAYS_MS.length - 1)]);
      }
    }
  }
}
