import type { DeclarativeConfig } from '../shared/config.js';
import { isBroadcastMessage } from '../shared/broadcast-guard.js';
import { fromSerializedError, TokenBrokerError } from '../shared/errors.js';
import { brokerNames } from '../shared/names.js';
import type { BrokerMethod, BrokerStatus, SessionTokens } from '../shared/protocol.js';
import { attachAxios, type AxiosLike } from './axios.js';
import { createAuthFetch } from './auth-fetch.js';
import { createConfigKeeper } from './config-keeper.js';
import { createEmitter, type EventName, type Handler } from './events.js';
import { isControlled, registerWorker, waitForControl, type WorkerHandle } from './readiness.js';
import { scriptUrlFor } from './namespace.js';
import { createSnapshotStore, type SessionSnapshot } from './snapshot.js';
import { callWorker, type Args } from './transport.js';
import type { TokenSource } from './token-source.js';
import { watchUpdates, type UpdateControl } from './updates.js';
import { createWakeScheduler } from './wakeup.js';
import type { Workbox } from 'workbox-window';

/** Calls that must not reach the worker twice for one request of the app. */
const ONCE_ONLY: ReadonlySet<BrokerMethod> = new Set(['setSession', 'captureLogin', 'logout']);

/** Options of `registerTokenBroker`. */
export interface RegisterOptions {
  /** URL of the worker script. @default '/sw.js' */
  scriptUrl?: string;
  /** Registration scope. @default the script's directory */
  scope?: string;
  /**
   * The broker's name: its IndexedDB database, BroadcastChannel and Web Locks are named after it,
   * so two apps on one origin (each with its own scope) share nothing. The prebuilt `sw.js` gets
   * it as `?name=` on `scriptUrl`; your own worker passes the same value as `installTokenBroker`'s
   * `dbName`. @default 'sw-token-broker'
   */
  name?: string;
  /** Config for the prebuilt standalone `sw.js`. Omit it when your worker calls `installTokenBroker(config)`. */
  worker?: DeclarativeConfig;
  /**
   * @deprecated Ignored: on a page it does not control, the worker itself decides which requests
   * get the token (the rule it applies to the requests it sees), so the page needs no copy of it.
   */
  scopeHint?: Partial<DeclarativeConfig>;
  /** Timeout of one call to the worker (one retry follows a timeout). @default 10000 */
  callTimeoutMs?: number;
  /** Calls that may run twice are sent again after this long without an answer (the worker may have died). @default 1500 */
  resendAfterMs?: number;
  /** How long registration waits for an active, controlling worker. @default 5000 */
  readyTimeoutMs?: number;
  /** Let one tab wake the worker when a proactive refresh falls due. @default true */
  proactiveWakeUps?: boolean;
  /**
   * Your app's own workbox-window `Workbox` for this worker, not yet registered: the client
   * registers it, so the page has one registration and one workbox-window, and your listeners
   * on it keep working. @default a Workbox of its own for `scriptUrl`
   */
  workbox?: Workbox;
}

/** What `status()` reports: the worker's view plus this page's. */
export interface ClientStatus extends BrokerStatus {
  /** A service worker controls this page (its requests get tokens without help). */
  controlled: boolean;
}

/** The page-side handle on the broker. It never holds the refresh token. */
export interface TokenBrokerClient {
  /** Stores tokens after your login. */
  setSession(tokens: SessionTokens): Promise<ClientStatus>;
  /** A fresh access token (refreshed through the worker's lock if due). */
  getAccessToken(): Promise<string>;
  /** Refreshes now (joins a refresh already running anywhere). */
  refresh(): Promise<ClientStatus>;
  /** Ends the session in every tab and revokes the refresh token if configured. */
  logout(): Promise<void>;
  status(): Promise<ClientStatus>;
  /**
   * The session as this tab knows it, synchronously: `loading` until the worker first answered,
   * then kept current by the worker's broadcasts to every tab (a `change` event follows each new one).
   */
  snapshot(): SessionSnapshot;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, handler: Handler<E>): () => void;
  /** Makes an Axios instance work on pages the worker does not control; returns a detach function. */
  attachAxios(instance: AxiosLike): () => void;
  /** `fetch` that also attaches the token when this page is not controlled. */
  fetch: typeof fetch;
  /**
   * Lets a waiting new worker version (`update-waiting`) take over: workbox-window's
   * `messageSkipWaiting()`. Resolves true once it controls this page, false if none waits or it
   * did not take over within `readyTimeoutMs`. The page keeps running the code it loaded: reload
   * when it suits the user. The session survives the update.
   */
  applyUpdate(): Promise<boolean>;
  /** Removes every listener, interceptor and timer this client added. */
  destroy(): void;
}

/**
 * Registers the broker's worker and returns the page client once the worker is ready
 * (or known to be unavailable: then every call rejects with `worker-unavailable` and
 * the `control` event reports `controlled: false`).
 *
 * @example
 * const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
 * broker.on('logout', ({ reason }) => showLogin(reason));
 */
export async function registerTokenBroker(options: RegisterOptions = {}): Promise<TokenBrokerClient> {
  const { worker: config, readyTimeoutMs = 5000 } = options;
  const names = brokerNames(options.name);
  const emitter = createEmitter();
  const session = createSnapshotStore((snapshot) => emitter.emit('change', snapshot));
  const cleanups: Array<() => void> = [];
  const controlChanged = (): void => emitter.emit('control', { controlled: isControlled() });
  let worker: WorkerHandle | null = null;
  let destroyed = false;

  const send = <M extends BrokerMethod>(method: M, ...args: Args<M>) =>
    destroyed
      ? Promise.reject(new TokenBrokerError('destroyed', 'the client was destroyed'))
      : callWorker(method, args, {
          target: () => worker?.target() ?? null,
          update: () => worker?.update() ?? Promise.resolve(),
          timeoutMs: options.callTimeoutMs ?? 10_000,
          // Never repeated: a slow worker would store the tokens or send the login twice.
          retries: method === 'setSession' || method === 'captureLogin' ? 0 : 1,
          // Sent again early only where running twice is harmless (a refresh carries the generation it saw).
          ...(ONCE_ONLY.has(method) ? {} : { resendAfterMs: options.resendAfterMs ?? 1500 }),
        });
  // Every call but `configure` itself restores a config the worker lost (storage cleared).
  const keeper = createConfigKeeper(
    config,
    (own) => send('configure', own),
    (error) => emitter.emit('error', { error }),
  );
  const call = <M extends BrokerMethod>(method: M, ...args: Args<M>) =>
    keeper.run(() => send(method, ...args));
  const withControl = async (status: Promise<BrokerStatus>): Promise<ClientStatus> => ({
    ...(await session.track(status)),
    controlled: isControlled(),
  });

  function destroy(): void {
    destroyed = true;
    for (const cleanup of cleanups.splice(0)) cleanup();
    emitter.clear();
  }

  const scheduler = createWakeScheduler(() => call('wake'), names.leaderLock);
  if (typeof BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(names.channel);
    channel.onmessage = ({ data }: MessageEvent<unknown>) => {
      // Anything on the origin can post here: act only on well-formed broker messages.
      if (!isBroadcastMessage(data)) return;
      if (data.type === 'error' && keeper.onBroadcastError(data.error.code)) return;
      const { type, ...payload } = data;
      session.fromBroadcast(data);
      // The wire shape carries no `name`, so the error is rebuilt from its code.
      if (data.type === 'error') emitter.emit('error', { error: fromSerializedError(data.error) });
      else emitter.emit(type, payload as never);
      if (type === 'refreshed' || type === 'session')
        void session.track(call('status')).then(scheduler.plan, () => undefined);
    };
    cleanups.push(() => channel.close());
  }

  const handle = await registerWorker(
    scriptUrlFor(options.scriptUrl ?? '/sw.js', names.name),
    options.scope,
    readyTimeoutMs,
    config !== undefined,
    options.workbox,
  );
  let updates: UpdateControl | undefined;
  if (handle) {
    worker = handle;
    cleanups.push(handle.dispose);
    updates = watchUpdates(handle.workbox, handle.registration, navigator.serviceWorker, () =>
      emitter.emit('update-waiting', {}),
    );
    cleanups.push(updates.dispose);
    // A refused config rejects registration; leave nothing behind (channel, timers, listeners).
    if (config) await send('configure', config).catch((error: unknown) => (destroy(), Promise.reject(error)));
    const container = navigator.serviceWorker;
    container.addEventListener('controllerchange', controlChanged);
    cleanups.push(() => container.removeEventListener('controllerchange', controlChanged));
    if (!isControlled()) {
      // First visit or hard reload: ask the active worker to claim this page (never reload).
      await call('claim').catch(() => undefined);
      await waitForControl(readyTimeoutMs);
    }
    void session.track(call('status')).catch(() => undefined);
    if (options.proactiveWakeUps !== false) {
      scheduler.start();
      cleanups.push(scheduler.stop);
    }
  }

  if (!handle) session.unavailable();

  const source: TokenSource = {
    controlled: isControlled,
    tokenInfo: () => call('getAccessToken', {}),
    abort: (id) => void call('abort', id).catch(() => undefined),
    route: (request) => call('route', request),
    captureLogin: (request) => call('captureLogin', request),
    // Passing the token the caller saw makes a retried call harmless (it cannot refresh twice), and
    // keeps a request of an ended login from getting the next login's token.
    recover: async (seen) => {
      await call('refresh', {
        trigger: 'unauthorized',
        seenGeneration: seen.generation,
        seenSession: seen.session,
      });
      const info = await call('getAccessToken', {});
      if (info.session !== seen.session)
        throw new TokenBrokerError('session-changed', 'the login this request belonged to has ended');
      return info;
    },
  };

  return {
    setSession: (tokens) => withControl(call('setSession', tokens)),
    getAccessToken: async () => (await call('getAccessToken', {})).accessToken,
    refresh: () =>
      withControl(
        call('status').then(({ generation }) =>
          call('refresh', { trigger: 'explicit', seenGeneration: generation }),
        ),
      ),
    logout: async () => void (await session.track(call('logout'))),
    status: () => withControl(call('status')),
    snapshot: session.get,
    on(event, handler) {
      const off = emitter.on(event, handler);
      let live = true;
      // The startup decision was made before the app could subscribe: replay it once, asynchronously like any event.
      if (event === 'control')
        queueMicrotask(
          () => live && !destroyed && (handler as Handler<'control'>)({ controlled: isControlled() }),
        );
      if (event === 'update-waiting' && updates?.waiting())
        queueMicrotask(() => live && !destroyed && (handler as Handler<'update-waiting'>)({}));
      return () => {
        live = false;
        off();
      };
    },
    attachAxios(instance) {
      const detach = attachAxios(instance, source);
      cleanups.push(detach);
      return detach;
    },
    fetch: createAuthFetch(source),
    applyUpdate: async () => (destroyed || !updates ? false : updates.apply(readyTimeoutMs)),
    destroy,
  };
}
