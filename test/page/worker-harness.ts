import 'fake-indexeddb/auto';
import type { BroadcastMessage } from '../../shared/protocol.js';
import type { Broadcaster } from '../../sw/broadcast.js';
import { Broker } from '../../sw/broker.js';
import { createBrokerApi, serveCall } from '../../sw/rpc.js';
import { createIdbStore, type SessionStore } from '../../sw/store.js';

export const ORIGIN = 'https://app.test';
export const TOKEN_ENDPOINT = `${ORIGIN}/api/auth/refresh`;

/** A broadcaster that records what the worker told the tabs. */
export function recordingBroadcaster(): Broadcaster & { sent: BroadcastMessage[] } {
  const sent: BroadcastMessage[] = [];
  return { sent, post: (m) => void sent.push(m), listen: () => () => undefined };
}

/** A token server: rotates `rt-N` into `at-N+1`/`rt-N+1`; `reject` answers `invalid_grant`. */
export function tokenServer() {
  const seen: string[] = [];
  const server = {
    seen,
    mode: 'ok' as 'ok' | 'reject' | 'unavailable',
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.url !== TOKEN_ENDPOINT) return new Response('not found', { status: 404 });
      const { refresh_token } = (await request.json()) as { refresh_token: string };
      seen.push(refresh_token);
      if (server.mode === 'reject') return Response.json({ error: 'invalid_grant' }, { status: 400 });
      if (server.mode === 'unavailable')
        return new Response('busy', { status: 503, headers: { 'retry-after': '120' } });
      const n = Number(refresh_token.split('-')[1]) + 1;
      return Response.json({ access_token: `at-${n}`, refresh_token: `rt-${n}`, expires_in: 3600 });
    }) as typeof fetch,
  };
  return server;
}

let dbCounter = 0;
export function uniqueStore(): SessionStore {
  return createIdbStore(`page-transport-${process.pid}-${Date.now()}-${dbCounter++}`);
}

export interface FakeWorker {
  /** What the page holds: `postMessage` like a `ServiceWorker`. */
  worker: ServiceWorker;
  broker: Broker;
  broadcaster: ReturnType<typeof recordingBroadcaster>;
  /** Every message the page posted (counted at `postMessage`, also while silent). */
  posts: unknown[];
  /** Closes the wire so the test leaves no open port behind. */
  close(): void;
  claims: number;
  /** Stop answering: messages are received and counted, never served (a stopped worker instance). */
  silence(): void;
  /** Every `serveCall` promise, so tests can wait for the worker to finish replying. */
  served: Promise<void>[];
}

/**
 * One worker instance over a real `Broker`. Messages cross a real `MessageChannel` (so the
 * call is structured-cloned and the reply port really transferred) and are served by the real
 * `serveCall`, as `installTokenBroker`'s message handler does.
 */
export function fakeWorker(store: SessionStore, fetchFn: typeof fetch): FakeWorker {
  const broadcaster = recordingBroadcaster();
  const broker = new Broker({
    origin: ORIGIN,
    store,
    broadcaster,
    fetch: fetchFn,
    lock: (fn) => fn(),
    sleep: async () => undefined,
    isOnline: () => true,
  });
  let silent = false;
  const wire = new MessageChannel();
  const fake: FakeWorker = {
    worker: undefined as unknown as ServiceWorker,
    broker,
    broadcaster,
    posts: [],
    claims: 0,
    served: [],
    silence: () => void (silent = true),
    close: () => wire.port1.close(),
  };
  const api = createBrokerApi(broker, async () => void fake.claims++, fetchFn);
  wire.port2.onmessage = (event: MessageEvent) => {
    const data = event.data as { call: unknown };
    const port = event.ports[0];
    if (!port) return;
    fake.served.push(serveCall(api, data.call, port));
  };
  fake.worker = {
    scriptURL: `${ORIGIN}/sw.js`,
    state: 'activated',
    postMessage(data: unknown, transfer: Transferable[] = []) {
      fake.posts.push(data);
      if (!silent) wire.port1.postMessage(data, transfer);
    },
  } as unknown as ServiceWorker;
  return fake;
}

/** A worker that is not a broker (a plain `sw.js`): it receives messages and never answers. */
export function foreignWorker(scriptURL = `${ORIGIN}/plain-sw.js`): ServiceWorker & { posts: unknown[] } {
  const posts: unknown[] = [];
  return {
    scriptURL,
    state: 'activated',
    posts,
    postMessage: (data: unknown) => void posts.push(data),
  } as unknown as ServiceWorker & { posts: unknown[] };
}
