import { vi } from 'vitest';
import { ORIGIN, type FakeBackend } from './harness.js';

/** An in-memory CacheStorage: enough for Workbox strategies (open, match with cacheName, put, keys, delete). */
export class MemoryCaches {
  readonly stores = new Map<string, MemoryCache>();
  async open(name: string): Promise<MemoryCache> {
    let cache = this.stores.get(name);
    if (!cache) this.stores.set(name, (cache = new MemoryCache()));
    return cache;
  }
  async has(name: string): Promise<boolean> {
    return this.stores.has(name);
  }
  async delete(name: string): Promise<boolean> {
    return this.stores.delete(name);
  }
  async keys(): Promise<string[]> {
    return [...this.stores.keys()];
  }
  async match(request: RequestInfo, options?: { cacheName?: string }): Promise<Response | undefined> {
    const names = options?.cacheName ? [options.cacheName] : [...this.stores.keys()];
    for (const name of names) {
      const hit = await this.stores.get(name)?.match(request);
      if (hit) return hit;
    }
    return undefined;
  }
}

export class MemoryCache {
  private readonly entries = new Map<string, { request: Request; response: Response }>();
  async match(request: RequestInfo): Promise<Response | undefined> {
    return this.entries.get(urlOf(request))?.response.clone();
  }
  async put(request: RequestInfo, response: Response): Promise<void> {
    const key = typeof request === 'string' ? new Request(request) : request;
    this.entries.set(key.url, { request: key, response });
  }
  async delete(request: RequestInfo): Promise<boolean> {
    return this.entries.delete(urlOf(request));
  }
  async keys(): Promise<Request[]> {
    return [...this.entries.values()].map((e) => e.request);
  }
}

const urlOf = (request: RequestInfo): string =>
  typeof request === 'string' ? new URL(request, ORIGIN).href : request.url;

/** Node has no ExtendableEvent/FetchEvent (docs/platform-facts.md §9): just what installTokenBroker and Workbox use. */
export class FakeExtendableEvent extends Event {
  readonly waited: Array<Promise<unknown>> = [];
  waitUntil(promise: Promise<unknown>): void {
    this.waited.push(promise);
  }
}

export class FakeFetchEvent extends FakeExtendableEvent {
  responded: Promise<Response> | undefined;
  constructor(readonly request: Request) {
    super('fetch');
  }
  respondWith(response: Promise<Response> | Response): void {
    if (this.responded) throw new DOMException('respondWith was already called', 'InvalidStateError');
    this.responded = Promise.resolve(response);
  }
}

/** Just enough of ServiceWorkerGlobalScope for installTokenBroker and Workbox strategies, over `backend`. */
export function fakeWorkerScope(backend: FakeBackend) {
  const target = new EventTarget();
  const caches = new MemoryCaches();
  const scope = {
    location: { origin: ORIGIN },
    fetch: backend.fetch,
    caches,
    clients: { claim: vi.fn(async () => undefined) },
    skipWaiting: vi.fn(async () => undefined),
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    dispatchEvent: target.dispatchEvent.bind(target),
    __WB_DISABLE_DEV_LOGS: true,
  };
  vi.stubGlobal('self', scope);
  vi.stubGlobal('caches', caches);
  vi.stubGlobal('location', scope.location);
  // Workbox strategies call the global fetch; the test network is the backend.
  vi.stubGlobal('fetch', backend.fetch);
  vi.stubGlobal('ExtendableEvent', FakeExtendableEvent);
  vi.stubGlobal('FetchEvent', FakeFetchEvent);
  return scope;
}

/** Dispatches a fetch event through the scope's listeners (the broker's, then the app's). */
export function dispatchFetch(scope: ReturnType<typeof fakeWorkerScope>, request: Request): FakeFetchEvent {
  const event = new FakeFetchEvent(request);
  scope.dispatchEvent(event);
  return event;
}
