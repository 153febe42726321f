import { REQUEST_ID_HEADER } from '../shared/protocol.js';

/** How long an abort that arrived before its request is remembered. */
const EARLY_ABORT_MS = 30_000;
const MAX_EARLY_ABORTS = 256;

/**
 * Aborts the page announces for requests the worker is holding. Chromium does not abort a
 * `FetchEvent`'s `request.signal` when the page aborts its fetch (observed on 156; the service
 * worker spec says it should), so the page client tags a request it sends through
 * `broker.fetch` with an id and posts `abort(id)` when its signal fires.
 */
export class AbortRegistry {
  readonly #live = new Map<string, AbortController>();
  readonly #early = new Map<string, number>();

  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * The signal that ends this request: its own, or the page's announced abort. Returns the
   * request without the id header (it is for the worker only) and a release function.
   */
  track(request: Request): { request: Request; signal: AbortSignal; release: () => void } {
    const id = request.headers.get(REQUEST_ID_HEADER);
    if (id === null) return { request, signal: request.signal, release: () => undefined };
    const headers = new Headers(request.headers);
    headers.delete(REQUEST_ID_HEADER);
    const untagged = new Request(request, {
      headers,
      referrer: request.referrer,
      referrerPolicy: request.referrerPolicy,
    });
    const controller = new AbortController();
    this.#live.set(id, controller);
    if (this.#early.delete(id)) controller.abort();
    return {
      request: untagged,
      signal: anySignal([request.signal, controller.signal]),
      release: () => this.#live.delete(id),
    };
  }

  abort(id: string): void {
    const controller = this.#live.get(id);
    if (controller) {
      controller.abort();
      return;
    }
    // The abort overtook its request (a separate message): remember it briefly, boundedly.
    const now = this.#now();
    for (const [key, at] of this.#early)
      if (now - at > EARLY_ABORT_MS || this.#early.size >= MAX_EARLY_ABORTS) this.#early.delete(key);
    this.#early.set(id, now);
  }
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) controller.abort();
    else s.addEventListener('abort', () => controller.abort(), { once: true });
  }
  return controller.signal;
}
