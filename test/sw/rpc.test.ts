import { wrap, type Endpoint } from 'comlink';
import { describe, expect, it } from 'vitest';
import type { BrokerApi, Result } from '../../shared/protocol.js';
import { createBrokerApi, serveCall } from '../../sw/rpc.js';
import { Rig, within } from './harness.js';

interface Outcome {
  reply: unknown;
  closed: boolean;
}

/** Sends one raw Comlink message over a fresh real MessageChannel; reports the reply or the port closing. */
async function send(api: BrokerApi, call: unknown): Promise<Outcome> {
  const { port1, port2 } = new MessageChannel();
  const outcome = new Promise<Outcome>((resolve) => {
    port1.onmessage = (event) => resolve({ reply: event.data, closed: false });
    port1.addEventListener('close', () => resolve({ reply: undefined, closed: true }));
  });
  const served = serveCall(api, call, port2);
  try {
    const result = await within(outcome, 2_000, 'the reply');
    await within(served, 2_000, 'serveCall');
    return result;
  } finally {
    port1.close();
  }
}

const apply = (method: string, ...args: unknown[]) => ({
  id: `id-${method}`,
  type: 'APPLY',
  path: [method],
  argumentList: args.map((value) => ({ type: 'RAW', value })),
});

function setup(claim: () => Promise<void> = async () => undefined) {
  const rig = new Rig();
  return { rig, api: createBrokerApi(rig.broker, claim) };
}

describe('serveCall', () => {
  it('answers an APPLY call with a Result, echoing the call id', async () => {
    const { api, rig } = setup();
    await rig.login();
    const { reply } = await send(api, apply('status'));
    expect(reply).toMatchObject({
      id: 'id-status',
      type: 'RAW',
      value: { ok: true, value: { loggedIn: true, generation: 1, configured: true } },
    });
  });

  it('passes arguments through: setSession then getAccessToken', async () => {
    const { api, rig } = setup();
    const set = await send(
      api,
      apply('setSession', { accessToken: 'page-at', refreshToken: 'page-rt', expiresIn: 60 }),
    );
    expect(set.reply).toMatchObject({ value: { ok: true, value: { loggedIn: true } } });
    expect(await rig.stored()).toMatchObject({ accessToken: 'page-at', refreshToken: 'page-rt' });
    const got = await send(api, apply('getAccessToken', {}));
    expect(got.reply).toMatchObject({
      value: { ok: true, value: { accessToken: 'page-at', generation: 1, expiresIn: 60_000 } },
    });
  });

  it('returns errors as {ok:false, error:{code}} instead of throwing', async () => {
    const { api } = setup();
    const { reply } = await send(api, apply('refresh', { trigger: 'explicit' }));
    expect(reply).toMatchObject({
      type: 'RAW',
      value: { ok: false, error: { code: 'no-session', message: expect.any(String) } },
    });
    const bad = await send(api, apply('setSession', { accessToken: 'a\nb', refreshToken: 'r' }));
    expect(bad.reply).toMatchObject({ value: { ok: false, error: { code: 'invalid-session' } } });
  });

  it('an explicit refresh from a page goes through the one coordinator; a stale one is answered without a refresh', async () => {
    const { api, rig } = setup();
    await rig.login();
    const first = await send(api, apply('refresh', { trigger: 'explicit' }));
    expect(first.reply).toMatchObject({
      value: { ok: true, value: { generation: 2, lastRefresh: { trigger: 'explicit' } } },
    });
    const stale = await send(api, apply('refresh', { trigger: 'unauthorized', seenGeneration: 1 }));
    expect(stale.reply).toMatchObject({ value: { ok: true, value: { generation: 2 } } });
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('wake refreshes only when due', async () => {
    const { api, rig } = setup();
    await rig.login();
    await send(api, apply('wake'));
    expect(rig.backend.refreshCount).toBe(0);
    rig.clock.t += 3600_000;
    const { reply } = await send(api, apply('wake'));
    expect(reply).toMatchObject({ value: { ok: true, value: { generation: 2 } } });
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('claim runs the worker’s claim', async () => {
    let claimed = 0;
    const { api } = setup(async () => void claimed++);
    expect((await send(api, apply('claim'))).reply).toMatchObject({ value: { ok: true } });
    expect(claimed).toBe(1);
  });

  it.each([
    ['a property GET', { id: 'g', type: 'GET', path: ['status'] }],
    ['a property SET', { id: 's', type: 'SET', path: ['status'], value: { type: 'RAW', value: 1 } }],
    ['a nested path', { id: 'n', type: 'APPLY', path: ['status', 'call'], argumentList: [] }],
    ['an inherited name', { id: 'c', type: 'APPLY', path: ['constructor'], argumentList: [] }],
    ['a prototype path', { id: 'p', type: 'APPLY', path: ['__proto__'], argumentList: [] }],
    [
      'an unknown name that is no method name',
      { id: 'u', type: 'APPLY', path: ['dump-tokens'], argumentList: [] },
    ],
    ['CONSTRUCT', { id: 'k', type: 'CONSTRUCT', path: [], argumentList: [] }],
    ['ENDPOINT', { id: 'e', type: 'ENDPOINT' }],
    ['garbage', 'hello'],
    ['null', null],
  ])('rejects %s by closing the port without an answer', async (_name, call) => {
    const { api, rig } = setup();
    await rig.login();
    expect(await send(api, call)).toEqual({ reply: undefined, closed: true });
    expect(Object.keys(api).sort()).toEqual([
      'abort',
      'captureLogin',
      'claim',
      'configure',
      'getAccessToken',
      'hello',
      'logout',
      'refresh',
      'route',
      'setSession',
      'status',
      'wake',
    ]);
  });

  it('answers a method this version lacks (a newer page client) with a typed worker-unavailable, at once', async () => {
    const { api, rig } = setup();
    await rig.login();
    const { reply } = await send(api, apply('renewLater', { x: 1 }));
    expect(reply).toMatchObject({
      id: 'id-renewLater',
      type: 'RAW',
      value: {
        ok: false,
        error: { code: 'worker-unavailable', message: expect.stringMatching(/different versions/) },
      },
    });
    expect(JSON.stringify(reply)).not.toMatch(/rt-|at-/);
  });

  it('exposes a frozen object of functions only, holding no token', async () => {
    const { api, rig } = setup();
    await rig.login();
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
    expect(JSON.stringify(api)).not.toContain('rt-1');
  });

  it('works with a real Comlink proxy on the page side (one fresh channel per call)', async () => {
    const { api, rig } = setup();
    await rig.login();
    const ports: MessagePort[] = [];
    const endpoint: Endpoint = {
      postMessage(message: unknown) {
        const { port1, port2 } = new MessageChannel();
        ports.push(port1);
        port1.onmessage = (event) => listeners.forEach((l) => l(event));
        void serveCall(api, message, port2);
      },
      addEventListener: (_type: string, l: EventListenerOrEventListenerObject) =>
        void listeners.add(l as (e: MessageEvent) => void),
      removeEventListener: (_type: string, l: EventListenerOrEventListenerObject) =>
        void listeners.delete(l as (e: MessageEvent) => void),
    };
    const listeners = new Set<(e: MessageEvent) => void>();
    const remote = wrap<BrokerApi>(endpoint);
    const result = await within(remote.getAccessToken() as Promise<Result<unknown>>, 2_000);
    expect(result).toEqual({
      ok: true,
      value: { accessToken: 'at-1', generation: 1, session: expect.any(String), expiresIn: 3600_000 },
    });
    for (const p of ports) p.close();
  });
});
