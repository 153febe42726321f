import type { DeclarativeConfig } from '../shared/config.js';
import { isBroadcastMessage } from '../shared/broadcast-guard.js';
import { fromSerializedError, toTokenBrokerError, TokenBrokerError } from '../shared/errors.js';
import { withTimeout } from '../shared/timeout.js';
import { brokerNames } from '../shared/names.js';
import type { BrokerMethod, BrokerStatus, SessionTokens } from '../shared/protocol.js';
import { attachAxios, type AxiosAdapters, type AxiosLike } from './axios.js';
import { createAuthFetch } from './auth-fetch.js';
import { createConfigKeeper } from './config-keeper.js';
import { createPageLog } from './debug.js';
import { createEmitter, type EventName, type Handler } from './events.js';
import { isControlled, NO_CAPTURE_WARNING, type WorkerHandle } from './readiness.js';
import { scriptUrlFor } from './namespace.js';
import { createSnapshotStore, type SessionSnapshot } from './snapshot.js';
import { startClient } from './startup.js';
import { callWorker, type Args } from './transport.js';
import type { TokenSource } from './token-source.js';
import type { UpdateControl } from './updates.js';
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
  /**
   * How long registration waits for an active, controlling worker, and how long the client's
   * `fetch` and Axios integration hold a request for readiness before deciding it. @default 5000
   */
  readyTimeoutMs?: number;
  /**
   * Fail closed: without a worker (unsupported, blocked, registration failed) `ready` rejects
   * and the client's `fetch` and Axios integration refuse every request instead of sending it
   * without the worker, so a login answer (refresh token included) never reaches this page
   * through them. @default false (requests go out as they are, without a token)
   */
  requireWorker?: boolean;
  /**
   * Log one line per decision to the console (`console.debug`): each request of the client's
   * `fetch` and Axios integration (attached, or skipped and why) and each startup step. Never
   * token material. Costs nothing when off. @default false
   */
  debug?: boolean;
  /**
   * Your axios default export, so `attachAxios` can resolve adapters given by name (axios'
   * default `['xhr', 'http', 'fetch']`) with `axios.getAdapter`. @default undefined
   */
  axios?: AxiosAdapters;
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
  /**
   * Settles once the worker is registered, configured and (if it can) controls this page.
   * Rejects with `registration-failed` (the browser refused the script, or its scope misses
   * this page), a refused config (`config-conflict`, `invalid-config`), `protocol-mismatch`,
   * or, with `requireWorker`, `worker-unavailable`. Calls, `fetch` and Axios wait for it.
   */
  readonly ready: Promise<void>;
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
  /**
   * Makes an Axios instance wait for readiness and work on pages the worker does not control,
   * below all interceptors (its adapter), so their order does not matter. Adapters given by
   * name need `axios.getAdapter`: pass the axios default export here or as the `axios` option.
   * Returns a detach function.
   */
  attachAxios(instance: AxiosLike, axios?: AxiosAdapters): () => void;
  /** `fetch` that waits for readiness and also attaches the token when this page is not controlled. */
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
 * Creates the page client at once and starts registering the broker's worker. Calls, `fetch`
 * and an attached Axios instance wait (bounded) for `ready`, so a request the app sends in its
 * first line, before the worker controls the page, still gets the token.
 *
 * @example
 * export const broker = createTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
 * broker.attachAxios(api, axios); // at module level: no await needed
 * broker.ready.catch((error) => showFatal(error.message));
 */
export function createTokenBroker(options: RegisterOptions = {}): TokenBrokerClient {
  const { worker: config, readyTimeoutMs = 5000 } = options;
  const names = brokerNames(options.name);
  const emitter = createEmitter();
  const session = createSnapshotStore((snapshot) => emitter.emit('change', snapshot));
  const cleanups: Array<() => void> = [];
  const log = options.debug ? createPageLog() : undefined;
  let worker: WorkerHandle | null = null;
  let updates: UpdateControl | null = null;
  let destroyed = false;

  const send = <M extends BrokerMethod>(method: M, ...args: Args<M>) =>
    destroyed
      ? Promise.reject(new TokenBrokerError('destroyed', 'the client was destroyed'))
      : callWorker(method, args, {
          target: () => worker?.target() ?? null,
          update: () => worker?.update() ?? Promise.resolve(),
          brokerScript: () => worker?.brokerScript() ?? Promise.resolve(true),
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
  const now = <M extends BrokerMethod>(method: M, ...args: Args<M>) =>
    keeper.run(() => send(method, ...args));

  // The app's Axios instances: unwrapped by `destroy()` only, so a failed start still fails closed.
  const detachers: Array<() => void> = [];
  function release(): void {
    destroyed = true;
    for (const cleanup of cleanups.splice(0)) cleanup();
    emitter.clear();
  }
  function destroy(): void {
    release();
    for (const detach of detachers.splice(0)) detach();
  }

  const scheduler = createWakeScheduler(() => now('wake'), names.leaderLock);
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
        void session.track(now('status')).then(scheduler.plan, () => undefined);
    };
    cleanups.push(() => channel.close());
  }

  const scriptUrl = scriptUrlFor(options.scriptUrl ?? '/sw.js', names.name);
  /** Why no worker can be asked once startup settled, or null. Never rejects. */
  const started: Promise<TokenBrokerError | null> = startClient({
    scriptUrl,
    scope: options.scope,
    config,
    readyTimeoutMs,
    workbox: options.workbox,
    emitter,
    cleanups,
    log,
    configure: (own) => send('configure', own),
    claim: () => now('claim'),
    onWorker: (handle) => {
      worker = handle;
    },
  }).then(
    (control) => {
      if (!control)
        return new TokenBrokerError(
          'worker-unavailable',
          `service workers are unsupported or blocked here: nothing registered ${scriptUrl}. ${NO_CAPTURE_WARNING}`,
        );
      updates = control;
      void session.track(now('status')).catch(() => undefined);
      if (options.proactiveWakeUps !== false) {
        scheduler.start();
        cleanups.push(scheduler.stop);
      }
      return null;
    },
    (error: unknown) => {
      // A refused config or registration leaves nothing running (channel, timers, listeners).
      const failure = toTokenBrokerError(error);
      emitter.emit('error', { error: failure });
      release();
      return failure;
    },
  );
  const fatal = (failure: TokenBrokerError | null): boolean =>
    failure !== null && (failure.code !== 'worker-unavailable' || options.requireWorker === true);
  const ready = started.then((failure) => {
    // No worker will ever answer: the snapshot leaves `loading` for `unauthenticated`.
    if (failure) session.unavailable();
    if (failure) log?.(`no worker: ${failure.message}`);
    if (fatal(failure)) throw failure;
  });
  /** Public calls wait for startup; without a worker they fail with the reason. */
  const call = async <M extends BrokerMethod>(method: M, ...args: Args<M>) => {
    const failure = await started;
    // A failed startup destroyed the client: its reason, not `destroyed`, is the answer.
    if (failure && (fatal(failure) || !destroyed)) throw failure;
    return now(method, ...args);
  };
  const withControl = async (status: Promise<BrokerStatus>): Promise<ClientStatus> => ({
    ...(await session.track(status)),
    controlled: isControlled(),
  });

  // Bounded: after `readyTimeoutMs` a request is decided with what is known by then.
  const readyOrLate = within(started, readyTimeoutMs);
  const source: TokenSource = {
    ready: () => readyOrLate,
    controlled: isControlled,
    failClosed: options.requireWorker === true,
    log,
    tokenInfo: () => now('getAccessToken', {}),
    abort: (id) => void now('abort', id).catch(() => undefined),
    route: (request) => now('route', request),
    captureLogin: (request) => now('captureLogin', request),
    // Passing the token the caller saw makes a retried call harmless (it cannot refresh twice), and
    // keeps a request of an ended login from getting the next login's token.
    recover: async (seen) => {
      await now('refresh', {
        trigger: 'unauthorized',
        seenGeneration: seen.generation,
        seenSession: seen.session,
      });
      const info = await now('getAccessToken', {});
      if (info.session !== seen.session)
        throw new TokenBrokerError('session-changed', 'the login this request belonged to has ended');
      return info;
    },
  };

  return {
    ready,
    setSession: (tokens) => withControl(call('setSession', tokens)),
    getAccessToken: async () => (await call('getAccessToken', {})).accessToken,
    refresh: () =>
      withControl(
        call('status').then(({ generation }) =>
          now('refresh', { trigger: 'explicit', seenGeneration: generation }),
        ),
      ),
    logout: async () => void (await session.track(call('logout'))),
    status: () => withControl(call('status')),
    snapshot: session.get,
    on(event, handler) {
      const off = emitter.on(event, handler);
      let live = true;
      // The startup decision is made after the app subscribes, or was made before: told once, when known.
      if (event === 'control')
        void started.then(
          () => live && !destroyed && (handler as Handler<'control'>)({ controlled: isControlled() }),
        );
      if (event === 'update-waiting')
        void started.then(
          () => live && !destroyed && updates?.waiting() && (handler as Handler<'update-waiting'>)({}),
        );
      return () => {
        live = false;
        off();
      };
    },
    attachAxios(instance, axios = options.axios) {
      const detach = attachAxios(instance, source, axios);
      detachers.push(detach);
      return detach;
    },
    fetch: createAuthFetch(source),
    applyUpdate: async () => {
      await started;
      return destroyed || !updates ? false : updates.apply(readyTimeoutMs);
    },
    destroy,
  };
}

/** Settles with `promise`'s value, or with null after `ms`. */
function within<T>(promise: Promise<T | null>, ms: number): Promise<T | null> {
  return withTimeout(promise, ms, () => null);
}

/**
 * Registers the broker's worker and returns the page client once it is ready: the async form
 * of `createTokenBroker`. Rejects like `ready` (then nothing is left behind). Where service
 * workers are unsupported or blocked it resolves (unless `requireWorker`), every call rejects
 * with `worker-unavailable` and the `control` event reports `controlled: false`.
 *
 * @example
 * const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
 * broker.on('logout', ({ reason }) => showLogin(reason));
 */
export async function registerTokenBroker(options: RegisterOptions = {}): Promise<TokenBrokerClient> {
  const client = createTokenBroker(options);
  await client.ready;
  return client;
}
