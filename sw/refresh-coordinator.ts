import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import type { RefreshTrigger } from '../shared/protocol.js';
import { backoffDelay } from './backoff.js';
import { computeExpiresAt } from './expiry.js';
import type { LockFn } from './lock.js';
import type { AttemptOutcome } from './refresh-attempt.js';
import type { ResolvedConfig } from './settings.js';
import type { SessionStore, StoredSession } from './store.js';

export interface CoordinatorDeps {
  store: SessionStore;
  lock: LockFn;
  attempt: (refreshToken: string) => Promise<AttemptOutcome>;
  config: () => ResolvedConfig;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  isOnline: () => boolean;
  /** Called once per refresh that stored or adopted a session, before callers resume. */
  onSession: (session: StoredSession, adopted: boolean) => void;
  /** Called once when a definitive rejection ended the session. */
  onEnded: () => void;
  /** Called once when a refresh gave up for any other reason. */
  onFailed: (error: TokenBrokerError) => void;
}

type LockedOutcome = { kind: 'session'; session: StoredSession; adopted: boolean } | { kind: 'no-session' } | AttemptOutcome;

/*
 * The one lock. Invariants it keeps:
 * - At most one refresh runs in this worker (`inflight`); every trigger (401 from any tab,
 *   proactive check, page wake-up, explicit call) joins the running one.
 * - A refresh token is sent only while holding the origin-wide Web Lock, and only after
 *   re-reading IndexedDB under it: if the stored generation is not the one the caller saw,
 *   that session is adopted and nothing is sent. So no refresh token is ever sent twice by
 *   contexts that share the lock, even across worker restarts and versions.
 * - The rotated session is written to IndexedDB before the lock is released and before any
 *   caller or tab hears of it.
 * - Only a definitive rejection of the token IndexedDB still holds clears the session;
 *   transient failures and invalid responses leave it untouched.
 * - Every attempt is bounded (attempt timeout, lock timeout, capped backoff), so no caller
 *   waits forever and no loop runs unbounded.
 */
export class RefreshCoordinator {
  private inflight: Promise<StoredSession> | null = null;
  private failures = 0;
  private notBefore = 0;

  constructor(private readonly deps: CoordinatorDeps) {}

  /** The running refresh, if any. */
  get running(): Promise<StoredSession> | null {
    return this.inflight;
  }

  /** Refreshes the session whose generation the caller saw, or joins the refresh already running. */
  refresh(seenGeneration: number, trigger: RefreshTrigger): Promise<StoredSession> {
    if (this.inflight) return this.inflight;
    const run = this.run(seenGeneration, trigger).finally(() => {
      this.inflight = null;
    });
    this.inflight = run;
    return run;
  }

  private async run(seen: number, trigger: RefreshTrigger): Promise<StoredSession> {
    try {
      return await this.loop(seen, trigger);
    } catch (cause) {
      const error = toTokenBrokerError(cause);
      if (error.code === 'refresh-rejected') this.deps.onEnded();
      else if (error.code !== 'no-session') this.deps.onFailed(error);
      throw error;
    }
  }

  private async loop(seen: number, trigger: RefreshTrigger): Promise<StoredSession> {
    const config = this.deps.config();
    for (let attempt = 1; ; attempt++) {
      const wait = this.notBefore - this.deps.now();
      if (wait > config.backoff.maxMs) {
        // Cooling down after a Retry-After longer than we would ever sleep in one event.
        throw new TokenBrokerError('refresh-unavailable', 'token endpoint asked to retry later', { retryAfter: wait / 1000 });
      }
      if (wait > 0) await this.deps.sleep(wait);
      if (!this.deps.isOnline()) throw new TokenBrokerError('offline', 'the browser is offline');
      let outcome: LockedOutcome;
      try {
        outcome = await this.deps.lock(() => this.locked(seen, trigger));
      } catch (cause) {
        outcome = { kind: 'transient', error: toTokenBrokerError(cause), retryAfterMs: undefined };
      }
      switch (outcome.kind) {
        case 'session':
          this.failures = 0;
          this.notBefore = 0;
          this.deps.onSession(outcome.session, outcome.adopted);
          return outcome.session;
        case 'no-session':
          throw new TokenBrokerError('no-session', 'no session is stored');
        case 'rejected':
          throw new TokenBrokerError('refresh-rejected', `token endpoint rejected the refresh token (${outcome.status})`);
        case 'invalid':
          this.backOff(undefined);
          throw outcome.error;
        case 'ok':
          throw new TokenBrokerError('internal', 'unreachable');
        case 'transient':
          this.backOff(outcome.retryAfterMs);
          if (!this.deps.isOnline()) throw new TokenBrokerError('offline', 'the browser is offline', { cause: outcome.error });
          if (attempt >= config.maxRefreshAttempts) throw outcome.error;
      }
    }
  }

  private backOff(retryAfterMs: number | undefined): void {
    this.failures++;
    const delay = backoffDelay(this.failures, this.deps.config().backoff, this.deps.random);
    this.notBefore = this.deps.now() + Math.max(delay, retryAfterMs ?? 0);
  }

  /** Runs under the lock: re-read, then at most one network call, then write. */
  private async locked(seen: number, trigger: RefreshTrigger): Promise<LockedOutcome> {
    const { store } = this.deps;
    const stored = await store.read();
    if (!stored) return { kind: 'no-session' };
    if (stored.generation !== seen) return { kind: 'session', session: stored, adopted: true };
    const outcome = await this.deps.attempt(stored.refreshToken);
    if (outcome.kind === 'ok') {
      const { tokens, receivedAt, serverDate } = outcome;
      const session: StoredSession = {
        accessToken: tokens.accessToken,
        // A server that does not rotate keeps the old refresh token valid.
        refreshToken: tokens.refreshToken ?? stored.refreshToken,
        expiresAt: computeExpiresAt(tokens.accessToken, tokens.expiresIn, receivedAt, serverDate),
        receivedAt,
        generation: stored.generation + 1,
        trigger,
      };
      await store.write(session);
      return { kind: 'session', session, adopted: false };
    }
    if (outcome.kind === 'rejected') {
      // A context without Web Locks may have written meanwhile: its session wins.
      const again = await store.read();
      if (again && again.generation !== stored.generation) return { kind: 'session', session: again, adopted: true };
      await store.clear();
    }
    return outcome;
  }
}
