import { afterEach, describe, expect, it, vi } from 'vitest';
import { Broker } from '../../sw/broker.js';
import { createWebLock } from '../../sw/lock.js';
import { forwardWithToken } from '../../sw/forward.js';
import {
  apiRequest,
  Bus,
  CONFIG,
  countingStore,
  FakeBackend,
  gate,
  ORIGIN,
  Rig,
  until,
  within,
} from './harness.js';

/** A logged-in rig whose explicit refresh has reached the server, which holds its answer until `g.open()`. */
async function refreshHeldAtTheServer() {
  const rig = new Rig();
  await rig.login();
  const first = (await rig.stored())!;
  const g = gate();
  rig.backend.gate = g.promise;
  const refresh = rig.broker.refresh('explicit');
  await until(() => rig.backend.refreshCount === 1);
  return { rig, first, g, refresh };
}

describe('setSession', () => {
  it('stores the tokens with the next generation and tells the tabs', async () => {
    const rig = new Rig();
    await rig.login(600);
    expect(await rig.stored()).toMatchObject({
      accessToken: 'at-1',
      refreshToken: 'rt-1',
      generation: 1,
      trigger: 'login',
      expiresAt: rig.clock.now() + 600_000,
    });
    await rig.login(600);
    expect(rig.broker.status()).toMatchObject({
      loggedIn: true,
      generation: 2,
      expiresIn: 600_000,
      lastRefresh: null,
    });
    expect(rig.bus.of('session')).toEqual([
      // Opaque test tokens: an identity without sub or claims (test/sw/claims.test.ts has JWTs).
      { type: 'session', generation: 1, expiresIn: 600_000, identity: { sub: null, claims: {} } },
      { type: 'session', generation: 2, expiresIn: 600_000, identity: { sub: null, claims: {} } },
    ]);
  });

  it.each([
    [{ accessToken: '', refreshToken: 'r' }],
    [{ accessToken: 'a' }],
    [{ accessToken: 'a\nb', refreshToken: 'r' }],
    [{ accessToken: 'a', refreshToken: 'r', expiresIn: -1 }],
    [null],
  ])('refuses unusable tokens with invalid-session: %j', async (tokens) => {
    const rig = new Rig();
    await expect(rig.broker.setSession(tokens as never)).rejects.toMatchObject({ code: 'invalid-session' });
    expect(await rig.stored()).toBeNull();
  });

  it('does not wait for a running refresh, and wins over its late answer (which is revoked)', async () => {
    const { rig, first, g, refresh } = await refreshHeldAtTheServer();
    // The login completes while the refresh is still out.
    await within(
      rig.broker.setSession({ accessToken: 'fresh-at', refreshToken: 'fresh-rt', expiresIn: 60 }),
      1000,
      'login',
    );
    const login = (await rig.stored())!;
    expect(login).toMatchObject({ accessToken: 'fresh-at', generation: 2 });
    expect(login.lineage).not.toBe(first.lineage);
    g.open();
    await expect(refresh).resolves.toMatchObject({ accessToken: 'fresh-at' });
    expect(await rig.stored()).toEqual(login);
    expect(rig.broker.currentSession()).toEqual(login);
    // The late answer's rotated refresh token belongs to the ended login: revoked, not stored.
    await rig.broker.settled();
    expect(rig.backend.revocations).toEqual([rig.backend.refreshToken]);
    expect(rig.bus.of('refreshed')).toEqual([]);
  });

  it('logout does not wait for a running refresh; the late answer resurrects nothing and is revoked', async () => {
    const { rig, first, g, refresh } = await refreshHeldAtTheServer();
    await within(rig.broker.logout(), 1000, 'logout');
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'user-logout' }]);
    g.open();
    await expect(refresh).rejects.toMatchObject({ code: 'no-session' });
    await rig.broker.settled();
    expect(await rig.stored()).toBeNull();
    expect(rig.backend.revocations).toEqual([first.refreshToken, rig.backend.refreshToken]);
  });
});

describe('getAccessToken', () => {
  it('returns the cached token without a refresh while it is fresh', async () => {
    const rig = new Rig();
    await rig.login();
    expect(await rig.broker.getAccessToken()).toEqual({
      accessToken: 'at-1',
      generation: 1,
      session: rig.broker.currentSession()?.lineage,
      expiresIn: 3600_000,
    });
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('refreshes when less than minValidityMs remains', async () => {
    const rig = new Rig();
    await rig.login();
    const info = await rig.broker.getAccessToken(3_700_000);
    expect(info).toMatchObject({ generation: 2, accessToken: rig.backend.accessToken });
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('on a transient failure hands out the still-valid token; an expired one is an error', async () => {
    const rig = new Rig({ config: { maxRefreshAttempts: 1 } });
    await rig.login(600);
    rig.clock.t += 590_000;
    rig.backend.replies.push({ status: 503 });
    expect(await rig.broker.getAccessToken()).toMatchObject({ accessToken: 'at-1', expiresIn: 10_000 });
    rig.clock.t += 20_000;
    rig.backend.replies.push({ status: 503 });
    await expect(rig.broker.getAccessToken()).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.broker.status().loggedIn).toBe(true);
  });

  it('is refused when the worker must not reveal tokens, and without a session', async () => {
    const hidden = new Rig({ config: { revealAccessToken: false } });
    await hidden.login();
    await expect(hidden.broker.getAccessToken()).rejects.toMatchObject({ code: 'token-not-revealed' });
    await expect(new Rig().broker.getAccessToken()).rejects.toMatchObject({ code: 'no-session' });
  });
});

describe('logout', () => {
  it('clears IndexedDB, tells every tab and revokes the refresh token', async () => {
    const rig = new Rig();
    await rig.login();
    const status = await rig.broker.logout();
    expect(status).toMatchObject({ loggedIn: false, generation: 0 });
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'user-logout' }]);
    expect(rig.backend.revocations).toEqual(['rt-1']);
    expect((await rig.forward(apiRequest())).status).toBe(401);
    expect(rig.backend.apiCalls[0]?.auth).toBeNull();
  });

  it('succeeds even when revocation fails', async () => {
    const rig = new Rig();
    await rig.login();
    let calls = 0;
    const failing = rig.newBroker({ fetch: () => (calls++, Promise.reject(new TypeError('offline'))) });
    await expect(failing.logout()).resolves.toMatchObject({ loggedIn: false });
    expect(calls).toBe(1);
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toHaveLength(1);
  });

  it('another worker version follows a logout broadcast', async () => {
    const rig = new Rig();
    const other = rig.newBroker();
    await rig.login();
    await other.ready();
    expect(other.status().loggedIn).toBe(true);
    await rig.broker.logout();
    await until(() => !other.status().loggedIn);
  });
});

describe('configuration (standalone worker)', () => {
  const standalone = (store = countingStore().store, backend = new FakeBackend()) =>
    new Broker({
      origin: ORIGIN,
      store,
      broadcaster: new Bus().endpoint(),
      fetch: backend.fetch,
      lock: (fn) => fn(),
    });

  it('without a config, refresh says not-configured and requests pass through', async () => {
    const backend = new FakeBackend();
    const broker = standalone(undefined, backend);
    await expect(broker.refresh('explicit')).rejects.toMatchObject({ code: 'not-configured' });
    expect(broker.status().configured).toBe(false);
    const res = await forwardWithToken(
      broker,
      apiRequest('/api/data', { headers: { 'X-A': '1' } }),
      () => undefined,
      backend.fetch,
    );
    expect(res.status).toBe(401);
    expect(backend.apiCalls.map((c) => [c.auth, c.request.headers.get('x-a')])).toEqual([[null, '1']]);
  });

  it('persists the page’s config, and a restarted worker finds it in IndexedDB', async () => {
    const { store, counts } = countingStore();
    const first = standalone(store);
    await first.configure({ ...CONFIG, apiPaths: ['/v2/'] });
    expect(counts.writeConfig).toBe(1);
    await first.configure({ ...CONFIG, apiPaths: ['/v2/'] }); // unchanged: no write
    expect(counts.writeConfig).toBe(1);
    const restarted = standalone(store);
    await restarted.ready();
    expect(restarted.status().configured).toBe(true);
    expect(restarted.currentConfig()?.apiPaths).toEqual(['/v2/']);
  });

  it('rejects an invalid config without storing it', async () => {
    const { store, counts } = countingStore();
    await expect(
      standalone(store).configure({ tokenEndpoint: 'https://evil.tld/token' }),
    ).rejects.toMatchObject({ code: 'invalid-config' });
    expect(counts.writeConfig).toBe(0);
  });

  it('an installTokenBroker config wins over a page’s', async () => {
    const rig = new Rig();
    await rig.broker.configure({ tokenEndpoint: '/other' });
    expect(rig.broker.currentConfig()?.tokenEndpoint.pathname).toBe('/api/auth/refresh');
    expect(rig.db.counts.writeConfig).toBe(0);
  });
});

describe('login capture', () => {
  it('stores the login response tokens and hands the page the body without the refresh token', async () => {
    const rig = new Rig();
    const res = await rig.forward(
      apiRequest('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"user":"u"}',
      }),
    );
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 });
    expect(await rig.stored()).toMatchObject({ accessToken: 'at-1', refreshToken: 'rt-1', generation: 1 });
  });
});

describe('createWebLock', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('without navigator.locks runs the function directly', async () => {
    vi.stubGlobal('navigator', {});
    await expect(createWebLock(() => 100)(async () => 7)).resolves.toBe(7);
  });

  it('serialises through navigator.locks and turns an acquisition timeout into refresh-unavailable', async () => {
    const requests: string[] = [];
    vi.stubGlobal('navigator', {
      locks: {
        request: (name: string, options: { signal: AbortSignal }, fn: () => Promise<unknown>) => {
          requests.push(name);
          if (name === 'busy') {
            return new Promise((_, reject) =>
              options.signal.addEventListener('abort', () => reject(options.signal.reason)),
            );
          }
          return fn();
        },
      },
    });
    await expect(createWebLock(() => 1_000, 'free')(async () => 'ran')).resolves.toBe('ran');
    await expect(createWebLock(() => 20, 'busy')(async () => 'never')).rejects.toMatchObject({
      code: 'refresh-unavailable',
    });
    // An error thrown by the function itself is passed through, not relabelled.
    await expect(
      createWebLock(() => 1_000, 'free')(() => Promise.reject(new Error('inner'))),
    ).rejects.toThrow('inner');
    expect(requests).toEqual(['free', 'busy', 'free']);
  });
});
