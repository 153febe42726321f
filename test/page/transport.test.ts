import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTokenBrokerError, TokenBrokerError } from '../../shared/errors.js';
import type { BrokerMethod } from '../../shared/protocol.js';
import { HANDSHAKE_TIMEOUT_MS } from '../../shared/wire.js';
import { callWorker } from '../../src/transport.js';
import {
  fakeWorker,
  foreignWorker,
  TOKEN_ENDPOINT,
  tokenServer,
  uniqueStore,
  type FakeWorker,
} from './worker-harness.js';

const workers: FakeWorker[] = [];
function spawn(...args: Parameters<typeof fakeWorker>): FakeWorker {
  const w = fakeWorker(...args);
  workers.push(w);
  return w;
}

afterEach(async () => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  for (const w of workers.splice(0)) {
    await Promise.all(w.served);
    w.close();
  }
});

/** The calls a worker received, without the one version handshake (`hello`) per worker. */
const calls = (w: FakeWorker): unknown[] =>
  w.posts.filter((p) => (p as { call: { path: string[] } }).call.path[0] !== 'hello');

/** Completes the version handshake, as the first call to a worker does, so a test can then silence it. */
async function greet(w: FakeWorker): Promise<void> {
  await callWorker('hello', [], on(w));
}

const on = (w: FakeWorker | (() => FakeWorker | null), timeoutMs = 2000) => ({
  target: () => (typeof w === 'function' ? (w()?.worker ?? null) : w.worker),
  timeoutMs,
});

/** Records the page-side port of every `MessageChannel` created from now on, and whether it was closed. */
function trackPorts(): Array<{ closed: boolean }> {
  const ports: Array<{ closed: boolean }> = [];
  const Real = globalThis.MessageChannel;
  vi.stubGlobal(
    'MessageChannel',
    class extends Real {
      constructor() {
        super();
        const entry = { closed: false };
        ports.push(entry);
        this.port1.addEventListener('close', () => (entry.closed = true));
      }
    },
  );
  return ports;
}

/** Lets real MessagePort traffic and `close` events through (they are not timers), until `done` or 200 turns. */
async function settle(done: () => boolean = () => false): Promise<void> {
  for (let turn = 0; turn < 200 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('callWorker across a real MessageChannel', () => {
  it('returns what the worker returned, including a refresh played against the token server', async () => {
    const server = tokenServer();
    const w = spawn(uniqueStore(), server.fetch);
    const configured = await callWorker('configure', [{ tokenEndpoint: TOKEN_ENDPOINT }], on(w));
    expect(configured).toMatchObject({ configured: true, loggedIn: false });

    const stored = await callWorker(
      'setSession',
      [{ accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 }],
      on(w),
    );
    expect(stored).toMatchObject({ loggedIn: true, generation: 1 });

    const refreshed = await callWorker('refresh', [{ trigger: 'explicit', seenGeneration: 1 }], on(w));
    expect(refreshed).toMatchObject({ loggedIn: true, generation: 2, lastRefresh: { trigger: 'explicit' } });
    expect(server.seen).toEqual(['rt-0']);
    expect(await callWorker('getAccessToken', [{}], on(w))).toMatchObject({
      accessToken: 'at-1',
      generation: 2,
    });
    // One message event per call, nothing else.
    expect(calls(w)).toHaveLength(4);
  });

  it('rebuilds a worker-side failure as a TokenBrokerError with its code, without retrying it', async () => {
    const w = spawn(uniqueStore(), tokenServer().fetch);
    const error = await failure(callWorker('getAccessToken', [{}], on(w)));
    expect(error).toBeInstanceOf(TokenBrokerError);
    expect(isTokenBrokerError(error, 'no-session')).toBe(true);
    expect((error as TokenBrokerError).code).toBe('no-session');
    expect(calls(w)).toHaveLength(1);
  });

  it('brings back a retryAfter hint, and a definitive rejection with its logout broadcast', async () => {
    const session = { accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 };
    const busyServer = tokenServer();
    busyServer.mode = 'unavailable';
    const busyWorker = spawn(uniqueStore(), busyServer.fetch);
    await callWorker('configure', [{ tokenEndpoint: TOKEN_ENDPOINT, maxRefreshAttempts: 1 }], on(busyWorker));
    await callWorker('setSession', [session], on(busyWorker));
    const busy = await failure(callWorker('refresh', [{ trigger: 'explicit' }], on(busyWorker)));
    expect(isTokenBrokerError(busy, 'refresh-unavailable')).toBe(true);
    expect((busy as TokenBrokerError).retryAfter).toBe(120);
    expect(await callWorker('status', [], on(busyWorker))).toMatchObject({ loggedIn: true, generation: 1 });

    const deadServer = tokenServer();
    deadServer.mode = 'reject';
    const w = spawn(uniqueStore(), deadServer.fetch);
    await callWorker('configure', [{ tokenEndpoint: TOKEN_ENDPOINT }], on(w));
    await callWorker('setSession', [session], on(w));
    const rejected = await failure(callWorker('refresh', [{ trigger: 'explicit' }], on(w)));
    expect(rejected).toBeInstanceOf(TokenBrokerError);
    expect((rejected as TokenBrokerError).code).toBe('refresh-rejected');
    expect(deadServer.seen).toEqual(['rt-0']);
    expect(w.broadcaster.sent).toContainEqual({ type: 'logout', reason: 'refresh-rejected' });
    expect(await callWorker('status', [], on(w))).toMatchObject({ loggedIn: false });
  });

  it('rejects with worker-timeout after the timeout when the worker stays silent, after exactly one retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const w = spawn(uniqueStore(), tokenServer().fetch);
    await greet(w);
    w.silence();
    const ports = trackPorts();
    const call = callWorker('status', [], on(w, 1000));
    const outcome = failure(call);
    await settle(() => calls(w).length > 0); // the handshake is remembered: no hello, straight to the call
    expect(calls(w)).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(999);
    expect(calls(w)).toHaveLength(1); // not given up early
    await vi.advanceTimersByTimeAsync(1);
    expect(calls(w)).toHaveLength(2); // the one retry
    await vi.advanceTimersByTimeAsync(999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);

    const error = await outcome;
    expect(error).toBeInstanceOf(TokenBrokerError);
    expect(isTokenBrokerError(error, 'worker-timeout')).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls(w)).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
    await settle(() => ports.every((p) => p.closed));
    // Both attempts closed their reply port although no answer ever came.
    expect(ports).toEqual([{ closed: true }, { closed: true }]);
  });

  it('does not retry a timeout when retries is 0', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const w = spawn(uniqueStore(), tokenServer().fetch);
    await greet(w);
    w.silence();
    const outcome = failure(callWorker('status', [], { ...on(w, 500), retries: 0 }));
    await vi.advanceTimersByTimeAsync(500);
    expect(isTokenBrokerError(await outcome, 'worker-timeout')).toBe(true);
    expect(calls(w)).toHaveLength(1);
  });

  it('reaches a restarted worker (fresh Broker, same IndexedDB) and sees the stored session', async () => {
    const store = uniqueStore();
    const server = tokenServer();
    let current = spawn(store, server.fetch);
    const target = on(() => current);
    const before = await callWorker(
      'setSession',
      [{ accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 }],
      target,
    );

    current.silence(); // the browser stopped that instance
    current = spawn(store, server.fetch);
    const after = await callWorker('status', [], target);
    expect(after).toMatchObject({ loggedIn: true, generation: 1 });
    expect(after.workerInstance).not.toBe(before.workerInstance);
    expect(await callWorker('getAccessToken', [{}], target)).toMatchObject({
      accessToken: 'at-0',
      generation: 1,
    });
  });

  it('moves a call in flight to the restarted worker on its retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = uniqueStore();
    const first = spawn(store, tokenServer().fetch);
    await callWorker(
      'setSession',
      [{ accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 }],
      on(first),
    );
    first.silence();
    const second = spawn(store, tokenServer().fetch);
    let current = first;
    const call = callWorker(
      'getAccessToken',
      [{}],
      on(() => current, 1000),
    );
    current = second; // controller now points at the new instance
    await vi.advanceTimersByTimeAsync(1000);
    expect(await call).toMatchObject({ accessToken: 'at-0', generation: 1 });
    expect(calls(first)).toHaveLength(2);
    expect(calls(second)).toHaveLength(1);
  });

  it('rejects with worker-unavailable when there is no worker to talk to', async () => {
    for (const missing of [null, undefined]) {
      const error = await failure(callWorker('status', [], { target: () => missing, timeoutMs: 1000 }));
      expect(error).toBeInstanceOf(TokenBrokerError);
      expect((error as TokenBrokerError).code).toBe('worker-unavailable');
    }
  });

  it('rejects with worker-unavailable when the worker disappears before the retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const w = spawn(uniqueStore(), tokenServer().fetch);
    await greet(w);
    w.silence();
    let current: FakeWorker | null = w;
    const outcome = failure(
      callWorker(
        'status',
        [],
        on(() => current, 100),
      ),
    );
    current = null;
    await vi.advanceTimersByTimeAsync(100);
    expect(isTokenBrokerError(await outcome, 'worker-unavailable')).toBe(true);
  });

  it('closes the reply port of every call, answered or failed', async () => {
    const w = spawn(uniqueStore(), tokenServer().fetch);
    const ports = trackPorts();
    const calls: Array<[BrokerMethod, unknown[]]> = [
      ['status', []],
      ['getAccessToken', [{}]],
      ['setSession', [{ accessToken: 'at-0', refreshToken: 'rt-0' }]],
      ['refresh', [{ trigger: 'explicit' }]], // not configured: fails in the worker
    ];
    for (const [method, args] of calls) {
      await callWorker(method, args as never, on(w)).catch(() => undefined);
    }
    await settle();
    expect(ports).toHaveLength(calls.length + 1); // and the handshake's
    await settle(() => ports.every((p) => p.closed));
    expect(ports.every((p) => p.closed)).toBe(true);
  });

  it('posts once per call, also after Comlink releases the garbage-collected proxy', async () => {
    // Comlink sends RELEASE when its proxy is collected; that must not re-post the transferred port.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const w = spawn(uniqueStore(), tokenServer().fetch);
      for (let i = 0; i < 3; i++) await callWorker('status', [], on(w));
      for (let i = 0; i < 10; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(calls(w)).toHaveLength(3);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('the version handshake', () => {
  it('fails a call to a worker that does not speak the protocol with protocol-mismatch after the handshake timeout, naming the script', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const plain = foreignWorker();
    const update = vi.fn(async () => undefined);
    const outcome = failure(callWorker('status', [], { target: () => plain, timeoutMs: 10_000, update }));
    await vi.advanceTimersByTimeAsync(HANDSHAKE_TIMEOUT_MS - 1);
    let settled = false;
    void outcome.then(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(isTokenBrokerError(error, 'protocol-mismatch')).toBe(true);
    expect((error as Error).message).toContain('https://app.test/plain-sw.js');
    // Only the handshake was sent, and the registration was asked for a newer version meanwhile.
    expect(plain.posts.map((p) => (p as { call: { path: string[] } }).call.path[0])).toEqual(['hello']);
    expect(update).toHaveBeenCalledTimes(1);
    // Remembered: the next call fails at once, without another handshake.
    expect(
      isTokenBrokerError(
        await failure(callWorker('status', [], { target: () => plain, timeoutMs: 10_000 })),
        'protocol-mismatch',
      ),
    ).toBe(true);
    expect(plain.posts).toHaveLength(1);
  });

  it('hears a broker that answers the handshake late: that call fails, the next one reaches it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const w = spawn(uniqueStore(), tokenServer().fetch);
    // A broker slower than the window (a cold start on a starved machine): every message arrives late.
    const slow = {
      scriptURL: w.worker.scriptURL,
      state: 'activated',
      postMessage: (data: unknown, transfer: Transferable[]) =>
        void setTimeout(() => w.worker.postMessage(data, transfer), HANDSHAKE_TIMEOUT_MS + 200),
    } as unknown as ServiceWorker;
    const first = failure(callWorker('status', [], { target: () => slow, timeoutMs: 10_000 }));
    await vi.advanceTimersByTimeAsync(HANDSHAKE_TIMEOUT_MS);
    expect(isTokenBrokerError(await first, 'protocol-mismatch')).toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    await settle(() => w.posts.length === 1);
    await settle();
    const next = callWorker('status', [], { target: () => slow, timeoutMs: 10_000 });
    await vi.advanceTimersByTimeAsync(HANDSHAKE_TIMEOUT_MS + 200);
    expect(await next).toMatchObject({ loggedIn: false });
    expect(w.posts.length - calls(w).length).toBe(1); // one hello in all
  });

  it('fails when the window closes if the script at the URL is no broker, without waiting for the update check', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const plain = foreignWorker();
    const update = vi.fn(() => new Promise<void>(() => undefined)); // the browser's check, still running
    const brokerScript = vi.fn(async () => false);
    const outcome = failure(
      callWorker('status', [], { target: () => plain, timeoutMs: 10_000, update, brokerScript }),
    );
    await vi.advanceTimersByTimeAsync(HANDSHAKE_TIMEOUT_MS);
    expect(isTokenBrokerError(await outcome, 'protocol-mismatch')).toBe(true);
    expect(brokerScript).toHaveBeenCalledTimes(1);
  });

  it('keeps waiting for the update check when the script at the URL is a broker (a new version installs)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const plain = foreignWorker(`${TOKEN_ENDPOINT}/../old.js`);
    const w = spawn(uniqueStore(), tokenServer().fetch);
    let workers: ServiceWorker[] = [plain];
    // The check ends well after the window.
    const update = vi.fn(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            workers = [w.worker, plain];
            resolve();
          }, 3000),
        ),
    );
    const call = callWorker('status', [], {
      target: () => workers,
      timeoutMs: 10_000,
      update,
      brokerScript: async () => true,
    });
    await vi.advanceTimersByTimeAsync(3000 + HANDSHAKE_TIMEOUT_MS);
    expect(await call).toMatchObject({ loggedIn: false });
  });

  it('sends one hello for concurrent first calls, and none once the worker answered', async () => {
    const w = spawn(uniqueStore(), tokenServer().fetch);
    await Promise.all([
      callWorker('status', [], on(w)),
      callWorker('status', [], on(w)),
      callWorker('status', [], on(w)),
    ]);
    await callWorker('status', [], on(w));
    expect(w.posts.length - calls(w).length).toBe(1);
    expect(calls(w)).toHaveLength(4);
  });

  it('goes to the next candidate that speaks the protocol when the first does not (an old plain worker, a new broker version)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const plain = foreignWorker(`${TOKEN_ENDPOINT}/../plain.js`);
    const w = spawn(uniqueStore(), tokenServer().fetch);
    const call = callWorker('status', [], { target: () => [plain, w.worker], timeoutMs: 10_000 });
    await vi.advanceTimersByTimeAsync(HANDSHAKE_TIMEOUT_MS);
    expect(await call).toMatchObject({ loggedIn: false });
    expect(calls(w)).toHaveLength(1);
  });

  it('waits for a newer version the update finds while the old worker does not answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const plain = foreignWorker(`${TOKEN_ENDPOINT}/../old.js`);
    const w = spawn(uniqueStore(), tokenServer().fetch);
    let workers: ServiceWorker[] = [plain];
    const update = vi.fn(async () => void (workers = [w.worker, plain]));
    const call = callWorker('status', [], { target: () => workers, timeoutMs: 10_000, update });
    await vi.advanceTimersByTimeAsync(HANDSHAKE_TIMEOUT_MS);
    expect(await call).toMatchObject({ loggedIn: false });
    expect(update).toHaveBeenCalledTimes(1);
  });
});

describe('resending a call whose worker died', () => {
  it('sends the call again after resendAfterMs, to the worker current then, and takes its answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = uniqueStore();
    const first = spawn(store, tokenServer().fetch);
    await callWorker(
      'setSession',
      [{ accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 3600 }],
      on(first),
    );
    first.silence(); // the instance died with the call in flight
    let current = first;
    const call = callWorker('getAccessToken', [{}], { ...on(() => current, 10_000), resendAfterMs: 1500 });
    await settle(() => calls(first).length === 2);
    const second = spawn(store, tokenServer().fetch);
    current = second;
    await vi.advanceTimersByTimeAsync(1499);
    expect(calls(second)).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toMatchObject({ accessToken: 'at-0', generation: 1 });
    expect(calls(second)).toHaveLength(1);
  });

  it('does not resend once the first answer came, and never without resendAfterMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const w = spawn(uniqueStore(), tokenServer().fetch);
    await callWorker('status', [], { ...on(w), resendAfterMs: 100 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls(w)).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
