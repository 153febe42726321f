import { DEFAULT_REFRESH_TIMEOUT_SECONDS } from '../shared/defaults.js';
import { serializeError } from '../shared/errors.js';
import type { RefreshTrigger } from '../shared/protocol.js';
import type { BrokerDeps } from './broker.js';
import type { BrokerState } from './broker-state.js';
import { expiresIn } from './expiry.js';
import { createWebLock, hasWebLocks } from './lock.js';
import { attemptRefresh } from './refresh-attempt.js';
import { RefreshCoordinator } from './refresh-coordinator.js';
import type { UnauthorizedPolicy } from './unauthorized-policy.js';

/** How long a refresh request may stay unanswered before its answer counts as lost (see refresh-attempt.ts). */
export const REFRESH_HARD_CAP_MS = 120_000;

/**
 * The worker's one refresh coordinator, wired to its state: a stored or adopted session
 * becomes the current one and (when this worker stored it) is announced to every tab; an ended
 * session, a failure and an orphaned refresh token go where the state handles them.
 */
export function createCoordinator(
  state: BrokerState,
  unauthorized: UnauthorizedPolicy,
  deps: BrokerDeps,
  instance: string,
  now: () => number,
): RefreshCoordinator {
  const hardCapMs = deps.hardCapMs ?? REFRESH_HARD_CAP_MS;
  return new RefreshCoordinator({
    store: deps.store,
    lock:
      deps.lock ??
      createWebLock(
        () => (state.config?.refreshTimeoutMs ?? DEFAULT_REFRESH_TIMEOUT_SECONDS * 1000) + 5_000,
        deps.lockName,
      ),
    lockIsShared: deps.lock ? (deps.lockIsShared ?? true) : hasWebLocks(),
    attempt: (token, key) =>
      attemptRefresh(token, state.requireConfig(), {
        fetch: deps.fetch,
        now,
        hardCapMs,
        ...(key ? { dpop: { key, nonces: state.dpopNonces } } : {}),
      }),
    config: () => state.requireConfig(),
    instance,
    hardCapMs,
    ...(deps.refreshBudgetMs === undefined ? {} : { budgetMs: deps.refreshBudgetMs }),
    now,
    sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    random: deps.random ?? Math.random,
    isOnline: deps.isOnline ?? (() => globalThis.navigator?.onLine !== false),
    onSession: (session, adopted) => {
      state.session = session;
      state.debug(adopted ? 'refresh adopted a stored session' : 'refresh stored', {
        trigger: session.trigger,
        generation: session.generation,
      });
      unauthorized.recordNewToken(session);
      if (adopted) return;
      if (session.trigger === 'unauthorized') unauthorized.recordRefresh(session.lineage);
      state.post({
        type: 'refreshed',
        generation: session.generation,
        expiresIn: expiresIn(session, now) ?? 0,
        trigger: session.trigger as RefreshTrigger,
      });
    },
    onEnded: (reason) => state.ended(reason),
    onFailed: (error) => state.post({ type: 'error', error: serializeError(error) }),
    onOrphaned: (refreshToken) => state.revoke(refreshToken),
  });
}
