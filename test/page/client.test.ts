import axios, { type AxiosAdapter } from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isTokenBrokerError, TokenBrokerError } from '../../shared/errors.js';
import { DEFAULT_CHANNEL, type BroadcastMessage } from '../../shared/protocol.js';
import { createTokenBroker, registerTokenBroker, type TokenBrokerClient } from '../../src/client.js';
import { APP } from './fake-source.js';

// Node has no navigator.serviceWorker: this is the "service workers unavailable" page
// (blocked, unsupported). The worker-backed paths are covered across a real MessageChannel
// in transport.test.ts; here the client must neither hang nor pretend.

const clients: TokenBrokerClient[] = [];
let worker: BroadcastChannel;

async function register(): Promise<TokenBrokerClient> {
  const client = await registerTokenBroker({ callTimeoutMs: 200, proactiveWakeUps: true });
  clients.push(client);
  return client;
}

/** Sends a broadcast as the worker would, and waits (bounded) until `arrived` says it got there. */
async function broadcast(message: BroadcastMessage, arrived: () => boolean): Promise<void> {
  worker.postMessage(message);
  for (let i = 0; i < 200 && !arrived(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 5)); // and a turn for any other receiver
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  vi.stubGlobal('location', new URL(`${APP}/app/`));
  worker = new BroadcastChannel(DEFAULT_CHANNEL);
});

afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
  worker.close();
  vi.unstubAllGlobals();
});

describe('registerTokenBroker without service workers', () => {
  it('resolves, and every call rejects with worker-unavailable instead of hanging', async () => {
    const client = await register();
    for (const call of [
      client.status(),
      client.getAccessToken(),
      client.refresh(),
      client.logout(),
      client.setSession({ accessToken: 'a', refreshToken: 'r' }),
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(TokenBrokerError);
      expect(isTokenBrokerError(error, 'worker-unavailable')).toBe(true);
    }
  });

  it('reports controlled: false to a control subscriber, once, after subscribing', async () => {
    const client = await register();
    const seen: boolean[] = [];
    client.on('control', ({ controlled }) => seen.push(controlled));
    expect(seen).toEqual([]); // asynchronously, like any event
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual([false]);
    const late = vi.fn();
    client.on('control', late)();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(late).not.toHaveBeenCalled(); // unsubscribed before the replay
  });

  it('lets fetch go out without a token rather than hold it', async () => {
    const sent: Request[] = [];
    vi.stubGlobal('fetch', async (request: Request) => (sent.push(request), new Response('ok')));
    const client = await register();
    const response = await client.fetch(`${APP}/api/users`);
    expect(await response.text()).toBe('ok');
    expect(sent.map((r) => r.headers.get('authorization'))).toEqual([null]);
  });
});

describe('broadcasts from the worker', () => {
  it('turn into logout, refreshed, session and error events', async () => {
    const client = await register();
    const seen: unknown[] = [];
    client.on('logout', (p) => seen.push(['logout', p]));
    client.on('refreshed', (p) => seen.push(['refreshed', p]));
    client.on('session', (p) => seen.push(['session', p]));
    client.on('error', ({ error }) =>
      seen.push(['error', error instanceof TokenBrokerError, error.code, error.retryAfter]),
    );
    await broadcast({ type: 'logout', reason: 'refresh-rejected' }, () => seen.length === 1);
    await broadcast(
      { type: 'refreshed', generation: 3, expiresIn: 60_000, trigger: 'unauthorized' },
      () => seen.length === 2,
    );
    await broadcast({ type: 'session', generation: 4, expiresIn: 30_000 }, () => seen.length === 3);
    await broadcast(
      { type: 'error', error: { code: 'refresh-unavailable', message: 'busy', retryAfter: 9 } },
      () => seen.length === 4,
    );
    expect(seen).toEqual([
      ['logout', { reason: 'refresh-rejected' }],
      ['refreshed', { generation: 3, expiresIn: 60_000, trigger: 'unauthorized' }],
      ['session', { generation: 4, expiresIn: 30_000 }],
      ['error', true, 'refresh-unavailable', 9],
    ]);
  });

  it('ignore null and junk on the channel without throwing, and keep working', async () => {
    const client = await register();
    const errors: unknown[] = [];
    const onError = (error: unknown): void => void errors.push(error);
    process.on('uncaughtException', onError);
    try {
      const seen = vi.fn();
      for (const event of ['logout', 'refreshed', 'session', 'error'] as const) client.on(event, seen);
      for (const junk of [
        null,
        'logout',
        { type: 'logout', reason: 7 },
        { type: 'error', error: null },
        { type: 'refreshed' },
      ])
        worker.postMessage(junk);
      await broadcast({ type: 'logout', reason: 'user-logout' }, () => seen.mock.calls.length > 0);
      expect(seen.mock.calls).toEqual([[{ reason: 'user-logout' }]]);
      expect(errors).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('reach every client of the origin, and stop at unsubscribe', async () => {
    const one = await register();
    const two = await register();
    const a = vi.fn();
    const b = vi.fn();
    const offA = one.on('logout', a);
    two.on('logout', b);
    await broadcast(
      { type: 'logout', reason: 'user-logout' },
      () => a.mock.calls.length + b.mock.calls.length === 2,
    );
    offA();
    await broadcast({ type: 'logout', reason: 'user-logout' }, () => b.mock.calls.length === 2);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(2);
  });
});

describe('createTokenBroker without service workers', () => {
  it('returns the client at once; ready resolves and calls say why there is no worker', async () => {
    const client = createTokenBroker({ callTimeoutMs: 200, proactiveWakeUps: false });
    clients.push(client);
    await client.ready;
    const error = await failure(client.status());
    expect(isTokenBrokerError(error, 'worker-unavailable')).toBe(true);
    expect((error as Error).message).toMatch(/unsupported or blocked.*refresh token included/);
  });

  it('requireWorker fails closed: ready rejects, and fetch and Axios send nothing', async () => {
    const sent: Request[] = [];
    vi.stubGlobal('fetch', async (request: Request) => {
      sent.push(request);
      return new Response('ok');
    });
    const client = createTokenBroker({ requireWorker: true, proactiveWakeUps: false });
    clients.push(client);
    const adapter = vi.fn<AxiosAdapter>(async (config) => ({
      status: 200,
      statusText: 'OK',
      data: null,
      headers: {},
      config,
    }));
    const instance = axios.create({ adapter });
    client.attachAxios(instance);
    const ready = failure(client.ready);
    expect(isTokenBrokerError(await ready, 'worker-unavailable')).toBe(true);
    expect(
      isTokenBrokerError(await failure(client.fetch(`${APP}/api/auth/login`)), 'worker-unavailable'),
    ).toBe(true);
    expect(isTokenBrokerError(await failure(instance.get(`${APP}/api/me`)), 'worker-unavailable')).toBe(true);
    expect(sent).toEqual([]);
    expect(adapter).not.toHaveBeenCalled();
  });
});

describe('destroy', () => {
  it('removes listeners, the Axios adapter and the channel, and later calls reject with destroyed', async () => {
    const client = await register();
    const handler = vi.fn();
    client.on('logout', handler);
    const live = vi.fn();
    (await register()).on('logout', live);
    const instance = axios.create();
    const original: unknown = instance.defaults.adapter;
    client.attachAxios(instance, axios);
    expect(instance.defaults.adapter).not.toBe(original);
    client.destroy();
    expect(instance.defaults.adapter).toBe(original);
    await broadcast({ type: 'logout', reason: 'user-logout' }, () => live.mock.calls.length === 1);
    expect(live).toHaveBeenCalledTimes(1);
    expect(handler).not.toHaveBeenCalled();
    expect(isTokenBrokerError(await failure(client.status()), 'destroyed')).toBe(true);
  });
});
