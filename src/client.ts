import { toTokenBrokerError, TokenBrokerError } from '../shared/errors.js';
import { withTimeout } from '../shared/timeout.js';
import { brokerNames } from '../shared/names.js';
import type { BrokerMethod, BrokerStatus } from '../shared/protocol.js';
import { attachAxios } from './axios.js';
import { createAuthFetch } from './auth-fetch.js';
import { createConfigKeeper } from './config-keeper.js';
import { listenForBroadcasts } from './broadcast-listener.js';
import type { ClientStatus, RegisterOptions, TokenBrokerClient } from './client-types.js';
import { createPageLog } from './debug.js';
import { createEmitter, type Handler } from './events.js';
import { isControlled, NO_CAPTURE_WARNING, type WorkerHandle } from './readiness.js';
import { scriptUrlFor } from './namespace.js';
import { createSnapshotStore } from './snapshot.js';
import { startClient } from './startup.js';
import { callWorker, type Args } from './transport.js';
import { createTokenSource } from './token-source.js';
import type { UpdateControl } from './updates.js';
import { createWakeScheduler } from './wakeup.js';

export type { ClientStatus, RegisterOptions, TokenBrokerClient } from './client-types.js';

/** Calls that must not reach the worker twice for one request of the app. */
const ONCE_ONLY: ReadonlySet<BrokerMethod> = new Set(['setSession', 'captureLogin', 'logout']);

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
  // `reload-required` found at startup: every `error` subscriber hears it once, whenever it subscribed.
  let staleRoutes: TokenBrokerError | null = null;
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
  cleanups.push(
    listenForBroadcasts(names.channel, emitter, session, keeper.onBroadcastError, () =>
      session.track(now('status')).then(scheduler.plan, () => undefined),
    ),
  );

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
    onStaleRoutes: (error) => {
      staleRoutes = error;
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
  const readyOrLate = withTimeout(started, readyTimeoutMs, () => null);
  const source = createTokenSource(now, {
    ready: () => readyOrLate,
    controlled: isControlled,
    failClosed: options.requireWorker === true,
    log,
  });

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
      if (event === 'error')
        void started.then(
          () => live && !destroyed && staleRoutes && (handler as Handler<'error'>)({ error: staleRoutes }),
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
