import { afterEach, describe, expect, it, vi } from 'vitest';
import { Router } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';
import { installTokenBroker, type InstalledBroker, type InstallOptions } from '../../sw/install.js';
import { brokerOf } from '../../sw/broker-handle.js';
import { resetWarnings } from '../../sw/warn-once.js';
import { tokenBrokerPlugin } from '../../sw/workbox-plugin.js';
import { brokerNames } from '../../shared/names.js';
import { createIdbStore } from '../../sw/store.js';
import { apiRequest, CONFIG, FakeBackend, gate, until } from './harness.js';
import { dispatchFetch, fakeWorkerScope } from './worker-scope.js';

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

/** A worker like the reference PWA's: the broker, then a NetworkFirst route for /api/todos through the plugin. */
async function setup(options: InstallOptions = {}) {
  const backend = new FakeBackend();
  const scope = fakeWorkerScope(backend);
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const dbName = `wb-${crypto.randomUUID()}`;
  installed = installTokenBroker(CONFIG, { dbName, routes: 'workbox', apiCacheNames: ['api'], ...options });
  const router = new Router();
  router.registerRoute(
    new (await import('workbox-routing')).Route(
      ({ url }) => url.pathname.startsWith('/api/todos'),
      new NetworkFirst({ cacheName: 'api', plugins: [tokenBrokerPlugin(installed)] }),
    ),
  );
  router.addFetchListener();
  const get = async (path = '/api/todos'): Promise<Response> => {
    const event = dispatchFetch(scope, apiRequest(path));
    expect(event.responded, `${path} was answered`).toBeDefined();
    const response = await event.responded!;
    await Promise.all(event.waited);
    return response;
  };
  const login = async (): Promise<void> =>
    void (await brokerOf(installed!.broker).setSession({ ...backend.issue(), expiresIn: 3600 }));
  return { backend, scope, warn, broker: brokerOf(installed.broker), get, login, dbName };
}

describe('tokenBrokerPlugin on a NetworkFirst route', () => {
  it('sends with the token, caches the answer under a key without it, and serves the cache offline', async () => {
    const { backend, scope, get, login, warn } = await setup();
    await login();
    backend.api = () => Response.json({ todos: ['fresh'] });
    expect(await (await get()).json()).toEqual({ todos: ['fresh'] });
    expect(backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${backend.accessToken}`]);
    const keys = await (await scope.caches.open('api')).keys();
    expect(keys.map((k) => [new URL(k.url).pathname, k.headers.get('authorization')])).toEqual([
      ['/api/todos', null],
    ]);

    backend.api = () => {
      throw new TypeError('offline');
    };
    expect(await (await get()).json()).toEqual({ todos: ['fresh'] });
    expect(warn).not.toHaveBeenCalled();
  });

  it('cures 401s of five concurrent requests with one refresh and one replay each', async () => {
    const { backend, get, login } = await setup();
    await login();
    backend.accessToken = 'at-expired-early'; // the server rejects the stored access token
    const open = gate();
    backend.gate = open.promise;
    const answers = Promise.all([1, 2, 3, 4, 5].map(() => get()));
    await until(() => backend.refreshCount === 1 && backend.apiCalls.length === 5);
    open.open();
    const statuses = (await answers).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(backend.refreshCount).toBe(1);
    expect(backend.apiCalls).toHaveLength(10);
    expect(new Set(backend.apiCalls.slice(5).map((c) => c.auth))).toEqual(
      new Set([`Bearer ${backend.accessToken}`]),
    );
  });

  it('an uncured 401 is passed on marked and is never cached', async () => {
    const { backend, scope, get, login } = await setup();
    await login();
    backend.api = () => Response.json({ error: 'forbidden' }, { status: 401 });
    const response = await get();
    expect(response.status).toBe(401);
    expect(backend.refreshCount).toBe(1);
    expect(backend.apiCalls).toHaveLength(2);
    expect(await (await scope.caches.open('api')).keys()).toEqual([]);
  });

  it('never caches a response that arrives after its login ended', async () => {
    const { backend, scope, get, login, broker } = await setup();
    await login();
    const arrive = gate();
    backend.api = async () => (await arrive.promise, Response.json({ todos: ['user 1'] }));
    const late = get();
    await until(() => backend.apiCalls.length === 1);
    await broker.logout();
    arrive.open();
    expect((await late).status).toBe(200);
    expect(await scope.caches.has('api')).toBe(false);
  });
});

describe('a request of an ended login', () => {
  it('is never sent: the plugin fails it like the network while it waited for a refresh', async () => {
    const { backend, scope, login, broker } = await setup();
    await login();
    const open = gate();
    backend.gate = open.promise;
    const refresh = broker.refresh('explicit').catch(() => undefined);
    await until(() => backend.refreshCount === 1);
    const event = dispatchFetch(scope, apiRequest('/api/todos'));
    await broker.logout();
    open.open();
    await expect(event.responded!).rejects.toThrow();
    await refresh;
    expect(backend.apiCalls).toEqual([]);
  });
});

describe('cached API data belongs to one user', () => {
  it('logout deletes the API caches before any tab hears logout', async () => {
    const { backend, scope, get, login, broker } = await setup();
    await login();
    backend.api = () => Response.json({ todos: ['user 1'] });
    await get();
    const heard: string[] = [];
    const realPost = BroadcastChannel.prototype.postMessage;
    vi.spyOn(BroadcastChannel.prototype, 'postMessage').mockImplementation(function (
      this: BroadcastChannel,
      message: unknown,
    ) {
      if ((message as { type?: string }).type === 'logout')
        heard.push(scope.caches.stores.has('api') ? 'cache still there' : 'cache gone');
      return realPost.call(this, message);
    });
    await broker.logout();
    expect(heard).toEqual(['cache gone']);
  });

  it('a definitively rejected refresh deletes them too', async () => {
    const { backend, scope, get, login } = await setup();
    await login();
    backend.api = () => Response.json({ todos: ['user 1'] });
    await get();
    expect(await scope.caches.has('api')).toBe(true);
    backend.api = () => Response.json({ error: 'expired' }, { status: 401 });
    backend.replies.push('revoked');
    const response = await get();
    expect(response.headers.get('x-token-broker-error')).toBe('refresh-rejected');
    await installed!.broker.settled();
    expect(await scope.caches.has('api')).toBe(false);
  });

  it('and so does a session lost from storage (site data cleared)', async () => {
    const { backend, scope, get, login, broker, dbName } = await setup();
    await login();
    backend.api = () => Response.json({ todos: ['user 1'] });
    await get();
    await createIdbStore(brokerNames(dbName).db).clear();
    await broker.sync();
    await broker.settled();
    expect(broker.currentSession()).toBe(null);
    expect(await scope.caches.has('api')).toBe(false);
  });
});
