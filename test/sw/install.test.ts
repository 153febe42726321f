import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeclarativeConfig } from '../../shared/config.js';
import { routeScopeOf, withRouteScope } from '../../shared/route-scope.js';
import { outsideScopeRule } from '../../sw/static-routes.js';
import { ENVELOPE_KEY } from '../../shared/protocol.js';
import { installTokenBroker, type InstalledBroker } from '../../sw/install.js';
import { brokerOf } from '../../sw/broker-handle.js';
import { CONFIG_WAIT_MS } from '../../sw/unconfigured.js';
import { apiRequest, CONFIG, FakeBackend, ORIGIN, within } from './harness.js';

// workbox-core reads `self` while it is imported; each test then stubs its own scope.
vi.hoisted(() => {
  Object.assign(globalThis, { self: globalThis, __WB_DISABLE_DEV_LOGS: true });
});

/** Just enough of ServiceWorkerGlobalScope for installTokenBroker (docs/platform-facts.md §9: fake the event, inject the scope). */
function fakeScope(backend: FakeBackend, search = '') {
  const target = new EventTarget();
  const scope = {
    location: { origin: ORIGIN, search },
    fetch: backend.fetch,
    clients: { claim: vi.fn(async () => undefined) },
    skipWaiting: vi.fn(async () => undefined),
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    dispatch(type: string, fields: Record<string, unknown>) {
      const event = Object.assign(new Event(type), fields);
      target.dispatchEvent(event);
    },
  };
  return scope;
}

interface FetchOutcome {
  responded: Promise<Response> | undefined;
  waited: Array<Promise<unknown>>;
}

function fetchEvent(
  scope: ReturnType<typeof fakeScope>,
  request: Request | { url: string; mode: string; destination: string; headers: Headers },
): FetchOutcome {
  const outcome: FetchOutcome = { responded: undefined, waited: [] };
  scope.dispatch('fetch', {
    request,
    respondWith: (r: Promise<Response>) => void (outcome.responded = r),
    waitUntil: (p: Promise<unknown>) => void outcome.waited.push(p),
  });
  return outcome;
}

/** Calls the worker the way the page transport does: a fresh message event carrying a port. */
async function call(
  scope: ReturnType<typeof fakeScope>,
  method: string,
  ...args: unknown[]
): Promise<unknown> {
  const { port1, port2 } = new MessageChannel();
  const reply = new Promise<unknown>((resolve) => (port1.onmessage = (e) => resolve(e.data)));
  const waited: Array<Promise<unknown>> = [];
  const message = {
    id: method,
    type: 'APPLY',
    path: [method],
    argumentList: args.map((value) => ({ type: 'RAW', value })),
  };
  scope.dispatch('message', {
    data: { [ENVELOPE_KEY]: 1, call: message },
    ports: [port2],
    waitUntil: (p: Promise<unknown>) => void waited.push(p),
  });
  expect(waited).toHaveLength(1); // the worker holds the event open until it answered
  try {
    return ((await within(reply, 2_000)) as { value: unknown }).value;
  } finally {
    await Promise.all(waited);
    port1.close();
  }
}

let installed: InstalledBroker | undefined;
afterEach(() => {
  installed?.uninstall();
  installed = undefined;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

async function setup(config: typeof CONFIG | null = CONFIG) {
  const backend = new FakeBackend();
  const scope = fakeScope(backend);
  vi.stubGlobal('self', scope);
  const dbName = `install-${crypto.randomUUID()}`;
  installed = installTokenBroker(config ?? undefined, { dbName, skipWaiting: true });
  return { backend, scope, broker: brokerOf(installed.broker), dbName };
}

const loginRequest = () => apiRequest('/api/auth/login', { method: 'POST', body: '{}' });

describe('installTokenBroker', () => {
  it('answers a page call with a Result and stores the session it was given', async () => {
    const { scope, backend } = await setup();
    const pair = backend.issue();
    expect(await call(scope, 'setSession', { ...pair, expiresIn: 3600 })).toMatchObject({
      ok: true,
      value: { loggedIn: true, generation: 1 },
    });
    expect(await call(scope, 'refresh', { trigger: 'nonsense' })).toMatchObject({
      ok: true,
      value: { generation: 2 },
    });
    expect(backend.refreshCount).toBe(1);
  });

  it('ignores messages that are not its envelope, or carry no port', async () => {
    const { scope } = await setup();
    const waited: unknown[] = [];
    scope.dispatch('message', { data: { hello: 1 }, ports: [], waitUntil: (p: unknown) => waited.push(p) });
    scope.dispatch('message', {
      data: { [ENVELOPE_KEY]: 1, call: {} },
      ports: [],
      waitUntil: (p: unknown) => waited.push(p),
    });
    expect(waited).toEqual([]);
  });

  it('answers in-scope requests with the token, before and after the broker loaded', async () => {
    const { scope, backend, broker } = await setup();
    const first = fetchEvent(scope, apiRequest()); // not loaded yet: taken, decided after loading
    expect(first.responded).toBeDefined();
    expect((await first.responded!).status).toBe(401);
    await call(scope, 'setSession', { ...backend.issue(), expiresIn: 3600 });
    expect(broker.isLoaded).toBe(true);
    const second = fetchEvent(scope, apiRequest());
    expect((await second.responded!).status).toBe(200);
    expect(backend.apiCalls.map((c) => c.auth)).toEqual([null, `Bearer ${backend.accessToken}`]);
  });

  it('never takes navigations, no-cors or non-fetch destinations', async () => {
    const { scope, backend } = await setup();
    await call(scope, 'setSession', { ...backend.issue(), expiresIn: 3600 });
    const headers = new Headers();
    for (const [mode, destination] of [
      ['navigate', 'document'],
      ['no-cors', ''],
      ['cors', 'image'],
      ['cors', 'script'],
    ] as const) {
      expect(
        fetchEvent(scope, { url: `${ORIGIN}/api/data`, mode, destination, headers }).responded,
        `${mode} ${destination}`,
      ).toBeUndefined();
    }
    expect(fetchEvent(scope, apiRequest('/api/data', { mode: 'no-cors' })).responded).toBeUndefined();
  });

  it('once loaded, leaves out-of-scope requests and requests with their own Authorization to the browser', async () => {
    const { scope, backend } = await setup();
    await call(scope, 'setSession', { ...backend.issue(), expiresIn: 3600 });
    expect(fetchEvent(scope, new Request(`${ORIGIN}/apix`)).responded).toBeUndefined();
    expect(
      fetchEvent(scope, new Request('https://api.example.com.evil.tld/api/data')).responded,
    ).toBeUndefined();
    expect(
      fetchEvent(scope, apiRequest('/api/data', { headers: { Authorization: 'Basic dTpw' } })).responded,
    ).toBeUndefined();
    expect(backend.apiCalls).toEqual([]);
  });

  it('an API request the broker passes (its own Authorization) still runs the proactive check when a refresh is due', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }); // Date only: faking timers would stall fake-indexeddb (docs/platform-facts.md §9)
    const { scope, backend, broker } = await setup();
    await call(scope, 'setSession', { ...backend.issue(), expiresIn: 3600 });
    vi.setSystemTime(Date.now() + 3590_000);
    expect(broker.dueIn()).toBeLessThanOrEqual(0);
    const out = fetchEvent(scope, apiRequest('/api/data', { headers: { Authorization: 'Basic eDp5' } }));
    expect(out.responded).toBeUndefined();
    expect(out.waited).toHaveLength(1);
    await Promise.all(out.waited);
    expect(backend.refreshCount).toBe(1);
  });

  it('a request outside the API scope returns before any work, even with a refresh due (what static routing keeps away elsewhere)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { scope, backend, broker } = await setup();
    await call(scope, 'setSession', { ...backend.issue(), expiresIn: 3600 });
    vi.setSystemTime(Date.now() + 3590_000);
    expect(broker.dueIn()).toBeLessThanOrEqual(0);
    for (const url of [`${ORIGIN}/static/app.js`, `${ORIGIN}/apix`, 'https://cdn.example/api/data']) {
      const out = fetchEvent(scope, new Request(url));
      expect([out.responded, out.waited]).toEqual([undefined, []]);
    }
    expect(backend.refreshCount).toBe(0);
  });

  it('skips waiting on install when asked; uninstall removes its listeners', async () => {
    const { scope } = await setup();
    scope.dispatch('install', {});
    expect(scope.skipWaiting).toHaveBeenCalledTimes(1);
    installed?.uninstall();
    scope.dispatch('install', {});
    expect(scope.skipWaiting).toHaveBeenCalledTimes(1);
    expect(fetchEvent(scope, apiRequest()).responded).toBeUndefined();
  });
});

describe('a standalone worker without a config (storage lost)', () => {
  it('asks the tabs on its channel, waits for the config, then captures the login', async () => {
    const { scope, broker, dbName } = await setup(null);
    const tab = new BroadcastChannel(dbName); // the channel is named after the broker
    tab.onmessage = (event: MessageEvent) => {
      // A page client answers a not-configured broadcast with its config.
      if (event.data?.error?.code === 'not-configured') void call(scope, 'configure', CONFIG);
    };
    try {
      const login = fetchEvent(scope, loginRequest());
      const res = await within(login.responded!, 1_500, 'the login');
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toHaveProperty('access_token');
      expect(body).not.toHaveProperty('refresh_token');
      expect(broker.status()).toMatchObject({ configured: true, loggedIn: true, generation: 1 });
    } finally {
      tab.close();
    }
  });

  it('with no tab to answer, withholds a response carrying a refresh token after the wait, and waits only once', async () => {
    const { scope } = await setup(null);
    const first = await fetchEvent(scope, loginRequest()).responded!;
    expect(first.status).toBe(503);
    expect(first.headers.get('x-token-broker-error')).toBe('not-configured');
    expect(await first.text()).not.toContain('refresh_token');
    // Time is the subject: a second request must not pay the config wait again.
    const started = Date.now();
    expect((await fetchEvent(scope, apiRequest()).responded!).status).toBe(401); // passed through, no token
    expect(Date.now() - started).toBeLessThan(CONFIG_WAIT_MS);
  });
});

describe('static routes at install (standalone worker, scope from the script URL)', () => {
  const urlOf = (config: DeclarativeConfig): string =>
    new URL(withRouteScope('/sw.js', routeScopeOf(config, ORIGIN)!, ORIGIN), ORIGIN).search;

  /** Installs a standalone broker registered at `search`, stores `stored` first, then dispatches install. */
  async function routesAt(search: string, stored: DeclarativeConfig | null): Promise<unknown[]> {
    const scope = fakeScope(new FakeBackend(), search);
    vi.stubGlobal('self', scope);
    const dbName = `routes-${crypto.randomUUID()}`;
    installed = installTokenBroker(undefined, { dbName, bypassNonApiRequests: true });
    if (stored) await call(scope, 'configure', stored);
    const added: unknown[] = [];
    const waited: Array<Promise<unknown>> = [];
    scope.dispatch('install', {
      waitUntil: (p: Promise<unknown>) => void waited.push(p),
      addRoutes: async (rules: unknown[]) => void added.push(...rules),
    });
    await Promise.all(waited);
    return added;
  }

  beforeEach(() => vi.stubGlobal('URLPattern', class {}));

  it("routes outside the URL's scope when no config is stored yet, or the stored one has that scope", async () => {
    const scoped = routeScopeOf(CONFIG, ORIGIN)!;
    expect(await routesAt(urlOf(CONFIG), null)).toEqual([outsideScopeRule(scoped, ORIGIN)]);
    expect(await routesAt(urlOf(CONFIG), CONFIG)).toEqual([outsideScopeRule(scoped, ORIGIN)]);
  });

  it('adds no route when the stored config has another scope (a URL from another tab or an old bundle)', async () => {
    const weaker = { ...CONFIG, loginEndpoint: undefined };
    expect(await routesAt(urlOf(weaker), CONFIG)).toEqual([]);
    expect(await routesAt(urlOf({ ...CONFIG, apiPaths: ['/api/', '/v2/'] }), CONFIG)).toEqual([]);
    expect(await routesAt('', CONFIG)).toEqual([]);
    expect(await routesAt('?api=%2F..%2F', null)).toEqual([]);
  });

  it('status says routed only where a standalone version may route past itself (a scope in its URL, static routing); canRoute wherever a scope would give it routes', async () => {
    const statusAt = async (search: string, routing: boolean, bypass = true): Promise<unknown> => {
      const scope = Object.assign(fakeScope(new FakeBackend(), search), {
        InstallEvent: { prototype: routing ? { addRoutes() {} } : {} },
      });
      vi.stubGlobal('self', scope);
      installed = installTokenBroker(undefined, {
        dbName: `routed-${crypto.randomUUID()}`,
        bypassNonApiRequests: bypass,
      });
      const { value: status } = (await call(scope, 'status')) as {
        value: { routed?: unknown; canRoute?: unknown };
      };
      installed.uninstall();
      installed = undefined;
      return { routed: status.routed, canRoute: status.canRoute };
    };
    expect(await statusAt(urlOf(CONFIG), true)).toEqual({ routed: true, canRoute: true });
    expect(await statusAt(urlOf(CONFIG), false)).toEqual({ routed: undefined, canRoute: false });
    // Registered without a scope (an older page client): no routes now, but a scoped URL would add them.
    expect(await statusAt('', true)).toEqual({ routed: undefined, canRoute: true });
    expect(await statusAt(urlOf(CONFIG), true, false)).toEqual({ routed: undefined, canRoute: false });
  });
});
