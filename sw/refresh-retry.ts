import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import type { RefreshBackoff } from './backoff.js';
import type { AttemptOutcome } from './refresh-attempt.js';
import type { ResolvedConfig } from './settings.js';
import type { StoredSession } from './store.js';

/** What one attempt under the lock came to (refresh-coordinator.ts). */
export type LockedOutcome =
  | { kind: 'session'; session: StoredSession; adopted: boolean; flaw?: TokenBrokerError }
  | { kind: 'no-session' }
  | { kind: 'lost' }
  /** `dpop` is on and the session had no DPoP key: it was cleared, nothing was sent. */
  | { kind: 'key-lost' }
  | Exclude<AttemptOutcome, { kind: 'ok' }>;

/**
 * How long one refresh (all its attempts, each request allowed up to `hardCapMs`) may keep the
 * worker busy. Browsers stop a worker whose event runs past 5 minutes, and a refresh stopped
 * that way leaves its token recorded as sent: the budget keeps the last attempt inside them.
 */
export const REFRESH_BUDGET_MS = 270_000;

export interface RetryDeps {
  /** The backoff of the lineage being refreshed. */
  backoff: RefreshBackoff;
  config: () => ResolvedConfig;
  isOnline: () => boolean;
  now: () => number;
  /** How long one attempt's request may stay unanswered before it counts as lost. */
  hardCapMs: number;
  /** @default REFRESH_BUDGET_MS */
  budgetMs?: number;
  /** Called once per refresh that stored or adopted a session, before callers resume. */
  onSession: (session: StoredSession, adopted: boolean) => void;
  /** Called once when a definitive rejection or a corrupt record ended the session. */
  onEnded: (reason: 'refresh-rejected' | 'storage-lost' | 'dpop-key-lost') => void;
  /** Called when a refresh gave up for another reason, or stored an answer with a flaw; once per kind of failure in a row. */
  onFailed: (error: TokenBrokerError) => void;
}

/**
 * Runs attempts (each one `locked()`: lock, re-read, at most one request) until one stores or
 * adopts a session, ends it, or `maxRefreshAttempts` transient failures used it up, waiting out
 * the backoff before each. No attempt starts that could still be out when the refresh's budget
 * (`REFRESH_BUDGET_MS` from the first attempt) ends: the last transient error is thrown instead. Tells the tabs of the outcome; resolves with the session or throws.
 */
export async function retryRefresh(
  locked: () => Promise<LockedOutcome>,
  deps: RetryDeps,
): Promise<StoredSession> {
  try {
    return await loop(locked, deps);
  } catch (cause) {
    const error = toTokenBrokerError(cause);
    if (error.code === 'refresh-rejected' || error.code === 'storage-lost' || error.code === 'dpop-key-lost')
      deps.onEnded(error.code);
    else if (error.code !== 'no-session') report(deps, error);
    throw error;
  }
}

/** Tells the tabs; `offline` once per transition (until the network is seen again), every other failure each time. */
function report(deps: RetryDeps, error: TokenBrokerError): void {
  if (deps.backoff.shouldReport(error.code)) deps.onFailed(error);
}

async function loop(locked: () => Promise<LockedOutcome>, deps: RetryDeps): Promise<StoredSession> {
  const { backoff } = deps;
  const config = deps.config();
  const deadline = deps.now() + (deps.budgetMs ?? REFRESH_BUDGET_MS);
  for (let attempt = 1; ; attempt++) {
    await backoff.waitOut(config.backoff.maxMs);
    if (!deps.isOnline()) throw new TokenBrokerError('offline', 'the browser is offline');
    let outcome: LockedOutcome;
    try {
      outcome = await locked();
    } catch (cause) {
      const error = toTokenBrokerError(cause);
      outcome =
        error.code === 'storage-lost'
          ? { kind: 'lost' }
          : { kind: 'transient', error, retryAfterMs: undefined };
    }
    switch (outcome.kind) {
      case 'session':
        backoff.succeeded();
        deps.onSession(outcome.session, outcome.adopted);
        if (outcome.flaw) {
          // Stored, but the server's answer had a flaw: say so once, and do not hammer it.
          backoff.failed(deps.config().backoff, undefined);
          report(deps, outcome.flaw);
        }
        return outcome.session;
      case 'no-session':
        throw new TokenBrokerError('no-session', 'no session is stored');
      case 'lost':
        throw new TokenBrokerError('storage-lost', 'the stored session was corrupt and has been removed');
      case 'key-lost':
        throw new TokenBrokerError(
          'dpop-key-lost',
          'the DPoP key of this session is missing; the session was ended',
        );
      case 'rejected':
        throw new TokenBrokerError(
          'refresh-rejected',
          `token endpoint ${deps.config().tokenEndpoint.pathname} rejected the refresh token (${outcome.status})`,
        );
      case 'invalid':
        backoff.failed(deps.config().backoff, undefined);
        throw outcome.error;
      case 'transient':
        backoff.failed(deps.config().backoff, outcome.retryAfterMs, outcome.unreachable);
        if (!deps.isOnline())
          throw new TokenBrokerError('offline', 'the browser is offline', { cause: outcome.error });
        if (attempt >= config.maxRefreshAttempts) throw outcome.error;
        if (Math.max(deps.now(), backoff.nextAttemptAt()) + deps.hardCapMs > deadline) throw outcome.error;
    }
  }
}
