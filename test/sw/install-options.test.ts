import { afterEach, describe, expect, it, vi } from 'vitest';
import { installTokenBroker, type InstalledBroker, type InstallOptions } from '../../sw/install.js';
import { brokerOf } from '../../sw/broker-handle.js';
import { resetWarnings } from '../../sw/warn-once.js';
import { tokenBrokerPlugin } from '../../sw/workbox-plugin.js';
import { apiRequest, CONFIG, FakeBackend } from './harness.js';
import { dispatchFetch, FakeExtendableEvent, fakeWorkerScope } from './worker-scope.js';

// workbox-core reads `self` while it is imported; each test then stubs its own scope.
vi.hoisted(() => {
  Object.assign(globalThis, { self: globalThis, __WB_DISABLE_DEV_LOGS: true });
});

let installed: InstalledBroker | undefined;
afterEach(() => {
  installed?.uninstall();
  installed = undefined;
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  resetWarnings();
});

function setup(options: InstallOptions = {}) {
  const backend = new FakeBackend();
  const scope = fakeWorkerScope(backend);
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  installed = installTokenBroker(CONFIG, { dbName: `opt-${crypto.randomUUID()}`, ...options });
  return { backend, scope, warn, installed };
}

/** A later fetch listener that wants to answer API requests, as a Workbox route would. */
function addLaterRoute(scope: ReturnType<typeof fakeWorkerScope>): { refused: unknown[] } {
  const refused: unknown[] = [];
  scope.addEventListener('fetch', (event) => {
    try {
      (event as FetchEvent).respondWith(new Response('from the app route'));
    } catch (error) {
      refused.push(error);
    }
  });
  return { refused };
}

describe("routes: 'builtin' (the default)", () => {
  it('answers API requests itself and names the first shadowed route once', async () => {
    const { scope, warn, installed } = setup();
    await installed.broker.ready();
    const later = addLaterRoute(scope);
    const first = dispatchFetch(scope, apiRequest('/api/todos'));
    dispatchFetch(scope, apiRequest('/api/other'));
    expect(await first.responded!.then((r) => r.headers.get('x-token-broker-error'))).toBe(null); // the server's own 401 (not logged in)
    expect(later.refused).toHaveLength(2); // the browser refuses the second respondWith, as before
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('/api/todos');
    expect(String(warn.mock.calls[0]?.[0])).toContain("routes: 'workbox'");
  });

  it('warns when a tokenBrokerPlugin is made for it, since its routes would never run', () => {
    const { warn, installed } = setup();
    tokenBrokerPlugin(installed);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("routes: 'workbox'");
  });
});

describe("routes: 'workbox'", () => {
  it('leaves API requests to later routes, before and after loading, but still captures the login', async () => {
    const { scope, warn, installed } = setup({ routes: 'workbox' });
    const later = addLaterRoute(scope);
    const early = dispatchFetch(scope, apiRequest('/api/todos'));
    expect(await early.responded!.then((r) => r.text())).toBe('from the app route');
    await installed.broker.ready();
    const loaded = dispatchFetch(scope, apiRequest('/api/todos'));
    expect(await loaded.responded!.then((r) => r.text())).toBe('from the app route');
    const login = dispatchFetch(scope, apiRequest('/api/auth/login', { method: 'POST', body: '{}' }));
    expect((await login.responded!).status).toBe(200);
    expect(later.refused).toHaveLength(1); // only the login, which the broker answered
    expect((await installed.broker.status()).loggedIn).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('clientsClaim', () => {
  it('claims clients on activate by default, and not when turned off', async () => {
    for (const [option, claims] of [
      [undefined, 1],
      [false, 0],
    ] as const) {
      const { scope } = setup(option === undefined ? {} : { clientsClaim: option });
      const activate = new FakeExtendableEvent('activate');
      scope.dispatchEvent(activate);
      await Promise.all(activate.waited);
      expect(scope.clients.claim).toHaveBeenCalledTimes(claims);
      installed?.uninstall();
      installed = undefined;
      vi.unstubAllGlobals();
    }
  });
});

describe('uninstall', () => {
  it('removes the activate listener too: an uninstalled broker claims nothing', async () => {
    const { scope } = setup();
    installed?.uninstall();
    installed = undefined;
    const activate = new FakeExtendableEvent('activate');
    scope.dispatchEvent(activate);
    await Promise.all(activate.waited);
    expect(scope.clients.claim).not.toHaveBeenCalled();
  });
});

describe('installed.broker', () => {
  it('is a frozen handle without token material: ready, status and settled only', async () => {
    const { installed, backend } = setup();
    const pair = backend.issue();
    await brokerOf(installed.broker).setSession({ ...pair, expiresIn: 3600 });
    expect(Object.keys(installed.broker).sort()).toEqual(['ready', 'settled', 'status']);
    expect(Object.isFrozen(installed.broker)).toBe(true);
    await installed.broker.ready();
    const status = await installed.broker.status();
    expect(status).toMatchObject({ loggedIn: true, generation: 1 });
    expect(JSON.stringify(status)).not.toContain(pair.refreshToken);
    expect(JSON.stringify(status)).not.toContain(pair.accessToken);
    await installed.broker.settled();
    expect(() => brokerOf({ ...installed.broker })).toThrow(/not a broker handle/);
  });
});

describe('updates', () => {
  it("honours workbox-window's SKIP_WAITING message without the skipWaiting option (applyUpdate)", async () => {
    const { scope } = setup();
    const waited: Array<Promise<unknown>> = [];
    scope.dispatchEvent(
      Object.assign(new Event('message'), {
        data: { type: 'SKIP_WAITING' },
        ports: [],
        waitUntil: (p: Promise<unknown>) => void waited.push(p),
      }),
    );
    await Promise.all(waited);
    expect(scope.skipWaiting).toHaveBeenCalledTimes(1);
  });
});

describe('routes: { workbox: paths }', () => {
  it('leaves only requests under those prefixes to later routes; the rest get the token from the broker', async () => {
    const { scope, installed, backend } = setup({ routes: { workbox: ['/api/todos'] } });
    await brokerOf(installed.broker).setSession({ ...backend.issue(), expiresIn: 3600 });
    const later = addLaterRoute(scope);
    const left = dispatchFetch(scope, apiRequest('/api/todos/7'));
    expect(await left.responded!.then((r) => r.text())).toBe('from the app route');
    const kept = dispatchFetch(scope, apiRequest('/api/todosx'));
    expect((await kept.responded!).status).toBe(200);
    expect(backend.apiCalls.map((c) => [new URL(c.request.url).pathname, c.auth])).toEqual([
      ['/api/todosx', `Bearer ${backend.accessToken}`],
    ]);
    expect(later.refused).toHaveLength(1);
  });
});

describe('installed.fetch', () => {
  it('sends outside a fetch event (a sync queue replaying a POST) with the token, curing a 401 once with the body intact', async () => {
    const { installed, backend } = setup({ routes: 'workbox' });
    await brokerOf(installed.broker).setSession({ ...backend.issue(), expiresIn: 3600 });
    backend.accessToken = 'at-rejected-early';
    const response = await installed.fetch(apiRequest('/api/queue', { method: 'POST', body: 'payload' }));
    expect(response.status).toBe(200);
    expect(backend.refreshCount).toBe(1);
    expect(backend.apiCalls.map((c) => new TextDecoder().decode(c.body))).toEqual(['payload', 'payload']);
    expect(backend.apiCalls[1]?.auth).toBe(`Bearer ${backend.accessToken}`);
  });
});
