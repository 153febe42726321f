import type { DeclarativeConfig } from '../shared/config.js';
import { TokenBrokerError } from '../shared/errors.js';
import type { BrokerStatus } from '../shared/protocol.js';
import type { PageLog } from './debug.js';
import type { Emitter } from './events.js';
import { otherScope, sameScriptElsewhere, scopedScriptUrl } from './script-url.js';
import {
  isControlled,
  registerWorker,
  waitForControl,
  waitForScript,
  type WorkerHandle,
} from './readiness.js';
import { watchUpdates, type UpdateControl } from './updates.js';
import type { Workbox } from 'workbox-window';

/** How long a version asked to take over may wait before the app hears `update-stalled`. */
const UPDATE_STALL_MS = 5000;

/** What the client's startup needs from the client it starts. */
export interface StartupContext {
  scriptUrl: string;
  scope: string | undefined;
  config: DeclarativeConfig | undefined;
  readyTimeoutMs: number;
  workbox: Workbox | undefined;
  emitter: Emitter;
  cleanups: Array<() => void>;
  log: PageLog | undefined;
  /** Sends `configure` straight to the worker (no readiness wait: this is the readiness). */
  configure(config: DeclarativeConfig): Promise<BrokerStatus>;
  /** Asks the worker to claim this page. */
  claim(): Promise<unknown>;
  /** Called as soon as a registration exists, so calls can reach its workers. */
  onWorker(handle: WorkerHandle): void;
  /** Called when this page must reload for its own scope's routes (`reload-required`). */
  onStaleRoutes(error: TokenBrokerError): void;
}

/**
 * A page whose script URL differs from the registered worker's (another route scope, or none)
 * first sends its config to that worker, registered at its own URL (installing nothing). A
 * refused config fails here (`config-conflict`), so a tab of another deployment never replaces
 * every tab's worker or routes. Resolves the URL to register: the page's own where it buys static
 * routes, else the worker's (a new URL is a new version, and a hand-over can send requests
 * around both workers in Firefox, docs/platform-facts.md §19). Null without a worker.
 */
async function urlAfterOwnerCheck(
  ctx: StartupContext,
  current: string,
  scriptUrl: string,
  config: DeclarativeConfig,
): Promise<string | null> {
  const handle = await registerWorker(current, ctx.scope, ctx.readyTimeoutMs, true, undefined);
  if (!handle) return null;
  ctx.cleanups.push(handle.dispose);
  ctx.onWorker(handle);
  const status = await ctx.configure(config);
  handle.dispose();
  ctx.log?.(`config accepted by ${current}`);
  // Only a worker of this build says `canRoute: false`; an older one gets the new URL.
  return status.canRoute === false ? current : scriptUrl;
}

/**
 * Chromium keeps routing a page by the static routes of the version it loaded under, also after
 * a new version claimed it (docs/platform-facts.md §17): a page that moved the scope tells the
 * app to reload, since requests only the new scope covers would skip the worker until then.
 */
function reloadRequired(scriptUrl: string): TokenBrokerError {
  return new TokenBrokerError(
    'reload-required',
    `this page still follows the previous worker's request routing; reload it so that every request of the new scope (${scriptUrl}) reaches the worker`,
  );
}

/**
 * The client's startup, in order: register (typed `registration-failed` if the browser refuses
 * or the scope misses this page), follow updates, configure the standalone worker, and, on a
 * page the worker does not control (first visit, hard reload), ask it to claim the page and wait
 * (bounded) for control. Resolves with the update control, or null where service workers are
 * unsupported or blocked. Every wait is bounded by `readyTimeoutMs` or the call timeout.
 */
export async function startClient(ctx: StartupContext): Promise<UpdateControl | null> {
  const { emitter, cleanups, log, readyTimeoutMs } = ctx;
  const scoped = scopedScriptUrl(ctx.scriptUrl, ctx.config, ctx.workbox !== undefined);
  // The version this page loaded under, whose routes it keeps until it navigates.
  const loadedUnder = globalThis.navigator?.serviceWorker?.controller?.scriptURL;
  const current = scoped === ctx.scriptUrl ? null : await sameScriptElsewhere(scoped, ctx.scope);
  const scriptUrl =
    current && ctx.config ? await urlAfterOwnerCheck(ctx, current, scoped, ctx.config) : scoped;
  if (scriptUrl === null) return null;
  const handle = await registerWorker(
    scriptUrl,
    ctx.scope,
    readyTimeoutMs,
    ctx.config !== undefined,
    ctx.workbox,
  );
  if (!handle) return null;
  log?.(`registered ${scriptUrl}, scope ${handle.registration.scope}`);
  ctx.onWorker(handle);
  cleanups.push(handle.dispose);
  const updates = watchUpdates(
    handle.workbox,
    handle.registration,
    navigator.serviceWorker,
    () => emitter.emit('update-waiting', {}),
    {
      afterMs: UPDATE_STALL_MS,
      eager: ctx.config !== undefined,
      onStalled: (waitingMs) => emitter.emit('update-stalled', { waitingMs }),
    },
  );
  cleanups.push(updates.dispose);
  const status = ctx.config ? await ctx.configure(ctx.config) : null;
  if (scriptUrl !== ctx.scriptUrl && (await waitForScript(scriptUrl, readyTimeoutMs)) === false)
    log?.(`still controlled by another version than ${scriptUrl}`);
  // Loaded under another scope's version (this tab or another moved it since): its routes stay.
  if (status?.routed && otherScope(loadedUnder, scriptUrl)) ctx.onStaleRoutes(reloadRequired(scriptUrl));
  const container = navigator.serviceWorker;
  const controlChanged = (): void => emitter.emit('control', { controlled: isControlled() });
  container.addEventListener('controllerchange', controlChanged);
  cleanups.push(() => container.removeEventListener('controllerchange', controlChanged));
  if (!isControlled()) {
    // First visit or hard reload: ask the active worker to claim this page (never reload).
    await ctx.claim().catch(() => undefined);
    await waitForControl(readyTimeoutMs);
  }
  log?.(isControlled() ? 'ready, page controlled' : 'ready, page not controlled');
  return updates;
}
