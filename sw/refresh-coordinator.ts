import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import type { RefreshTrigger } from '../shared/protocol.js';
import { backoffDelay } from './backoff.js';
import type { LockFn } from './lock.js';
import type { AttemptOutcome } from './refresh-attempt.js';
import { rotatedSession } from './rotated-session.js';
import type { ResolvedConfig } from './settings.js';
import type { InflightAttempt, SessionStore, StoredSession } from './store.js';

export interface CoordinatorDeps {
  store: SessionStore;
  lock: LockFn;
  /** False when the lock excludes only this worker (no `navigator.locks`). */
  lockIsShared: boolean;
  attempt: (refreshToken: string) => Promise<AttemptOutcome>;
  config: () => ResolvedConfig;
  /** `Broker.instance`: marks which worker sent an unanswered refresh. */
  instance: string;
  /** How long a refresh request may stay unanswered before it counts as lost. */
  hardCapMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  isOnline: () => boolean;
  /** Called once per refresh that stored or adopted a session, before callers resume. */
  onSession: (session: StoredSession, adopted: boolean) => void;
  /** Called once when a definitive rejection or a corrupt record ended the session. */
  onEnded: (reason: 'refresh-rejected' | 'storage-lost') => void;
  /** Called when a refresh gave up for another reason, or stored an answer with a flaw; once per kind of failure in a row. */
  onFailed: (error: TokenBrokerError) => void;
  /** A rotated refresh token arrived for a session that ended meanwhile (logout, new login). */
  onOrphaned: (refreshToken: string) => void;
}

/**
 * Longest wait between attempts when the token endpoint could not be reached at all. A server
 * that is down cannot be overloaded by a probe a second, and a longer backoff only delays
 * recovery: with a dead upstream the browser still believes it is online, so nothing else
 * tells the worker the server is back.
 */
export const UNREACHABLE_RETRY_MS = 1000;

type LockedOutcome =
  | { kind: 'session'; session: StoredSession; adopted: boolean; flaw?: TokenBrokerError }
  | { kind: 'no-session' }
  | { kind: 'lost' }
  | Exclude<AttemptOutcome, { kind: 'ok' }>;

/** Backoff state; it belongs to one login lineage, so a new login starts clean. */
interface Backoff {
  lineage: string;
  failures: number;
  /** Our own backoff: reset by evidence that the network is back. */
  backoffUntil: number;
  /** The server's `Retry-After`: kept until it passes or the lineage ends. */
  retryAfterUntil: number;
  /** Last failure code reported to tabs, so a run of `offline` failures is reported once. */
  reported: string | null;
}

const sameSession = (a: StoredSession | null, b: StoredSession): boolean =>
  a?.lineage === b.lineage && a.generation === b.generation;

/*
 * The one lock. Invariants it keeps:
 * - At most one refresh per lineage runs in this worker (`inflight`); every trigger (401 from
 *   any tab, proactive check, page wake-up, explicit call) joins the running one.
 * - A refresh token is sent only while holding the origin-wide Web Lock, after re-reading
 *   IndexedDB under it: if the stored session is not the one the caller saw, it is adopted and
 *   nothing is sent.
 * - A refresh token is sent again only when the request that carried it can no longer be
 *   answered. Before sending, the attempt is recorded on the stored session (`inflight`), and
 *   the request runs on after callers stop waiting, up to `hardCapMs`. A record found later
 *   means its worker died or gave up with the answer lost: with a shared lock (whose holder
 *   would otherwise still hold it) that is the only way on; without one, a younger record from
 *   another worker blocks the send.
 * - Every write is a compare-and-set on lineage and generation (or the attempt id): a login or
 *   logout never waits for the lock, and a refresh answer for a session that ended meanwhile is
 *   never stored (its refresh token goes to `onOrphaned` for revocation).
 * - A rotated refresh token the server handed out is stored whatever else is wrong with the
 *   answer; only an answer without a usable refresh token may be discarded whole.
 * - Only a definitive rejection of the token IndexedDB still holds clears the session;
 *   transient failures and invalid responses leave it untouched.
 * - Every wait is bounded (hard cap, lock timeout, capped backoff); no loop runs unbounded.
 */
export class RefreshCoordinator {
  private readonly inflight = new Map<string, Promise<StoredSession>>();
  /** Backoff sleeps to cut short when the network is seen again. */
  private readonly sleepers = new Set<() => void>();
  private backoff: Backoff = {
    lineage: '',
    failures: 0,
    backoffUntil: 0,
    retryAfterUntil: 0,
    reported: null,
  };

  constructor(private readonly deps: CoordinatorDeps) {}

  /** The running refresh of `lineage` (any lineage when omitted), if any. */
  running(lineage?: string): Promise<StoredSession> | null {
    if (lineage !== undefined) return this.inflight.get(lineage) ?? null;
    return this.inflight.values().next().value ?? null;
  }

  /** Resolves once no refresh runs in this worker (for `waitUntil`). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  /** Refreshes the session the caller saw, or joins the refresh of its lineage already running. */
  refresh(seen: StoredSession, trigger: RefreshTrigger): Promise<StoredSession> {
    const existing = this.inflight.get(seen.lineage);
    if (existing) return existing;
    const run = this.run(seen, trigger).finally(() => this.inflight.delete(seen.lineage));
    this.inflight.set(seen.lineage, run);
    return run;
  }

  /** Evidence the network works (a response arrived, `online` fired): our own backoff ends. */
  networkBack(): void {
    this.backoff.failures = 0;
    this.backoff.backoffUntil = 0;
    this.backoff.reported = null;
    for (const wake of this.sleepers) wake();
  }

  /** Sleeps until the backoff (ours or the server's) is over; `networkBack()` ends ours early. */
  private async waitOut(state: Backoff, maxMs: number): Promise<void> {
    for (;;) {
      const wait = Math.max(state.backoffUntil, state.retryAfterUntil) - this.deps.now();
      if (wait <= 0) return;
      if (wait > maxMs) {
        // Cooling down after a Retry-After longer than we would ever sleep in one event.
        throw new TokenBrokerError('refresh-unavailable', 'token endpoint asked to retry later', {
          retryAfter: wait / 1000,
        });
      }
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => this.sleepers.add((wake = resolve)));
      await Promise.race([this.deps.sleep(wait), woken]).finally(() => this.sleepers.delete(wake));
    }
  }

  private stateFor(lineage: string): Backoff {
    if (this.backoff.lineage !== lineage)
      this.backoff = { lineage, failures: 0, backoffUntil: 0, retryAfterUntil: 0, reported: null };
    return this.backoff;
  }

  /** Tells the tabs; `offline` once per transition (until the network is seen again), every other failure each time. */
  private report(state: Backoff, error: TokenBrokerError): void {
    if (error.code === 'offline' && state.reported === 'offline') return;
    state.reported = error.code;
    this.deps.onFailed(error);
  }

  private async run(seen: StoredSession, trigger: RefreshTrigger): Promise<StoredSession> {
    const state = this.stateFor(seen.lineage);
    try {
      return await this.loop(seen, trigger, state);
    } catch (cause) {
      const error = toTokenBrokerError(cause);
      if (error.code === 'refresh-rejected' || error.code === 'storage-lost') this.deps.onEnded(error.code);
      else if (error.code !== 'no-session') this.report(state, error);
      throw error;
    }
  }

  private async loop(seen: StoredSession, trigger: RefreshTrigger, state: Backoff): Promise<StoredSession> {
    const config = this.deps.config();
    for (let attempt = 1; ; attempt++) {
      await this.waitOut(state, config.backoff.maxMs);
      if (!this.deps.isOnline()) throw new TokenBrokerError('offline', 'the browser is offline');
      let outcome: LockedOutcome;
      try {
        outcome = await this.deps.lock(() => this.locked(seen, trigger));
      } catch (cause) {
        const error = toTokenBrokerError(cause);
        outcome =
          error.code === 'storage-lost'
            ? { kind: 'lost' }
            : { kind: 'transient', error, retryAfterMs: undefined };
      }
      switch (outcome.kind) {
        case 'session':
          state.failures = 0;
          state.backoffUntil = 0;
          state.retryAfterUntil = 0;
          state.reported = null;
          this.deps.onSession(outcome.session, outcome.adopted);
          if (outcome.flaw) {
            // Stored, but the server's answer had a flaw: say so once, and do not hammer it.
            this.backOff(state, undefined);
            this.report(state, outcome.flaw);
          }
          return outcome.session;
        case 'no-session':
          throw new TokenBrokerError('no-session', 'no session is stored');
        case 'lost':
          throw new TokenBrokerError('storage-lost', 'the stored session was corrupt and has been removed');
        case 'rejected':
          throw new TokenBrokerError(
            'refresh-rejected',
            `token endpoint ${this.deps.config().tokenEndpoint.pathname} rejected the refresh token (${outcome.status})`,
          );
        case 'invalid':
          this.backOff(state, undefined);
          throw outcome.error;
        case 'transient':
          this.backOff(state, outcome.retryAfterMs, outcome.unreachable);
          if (!this.deps.isOnline())
            throw new TokenBrokerError('offline', 'the browser is offline', { cause: outcome.error });
          if (attempt >= config.maxRefreshAttempts) throw outcome.error;
      }
    }
  }

  private backOff(state: Backoff, retryAfterMs: number | undefined, unreachable = false): void {
    state.failures++;
    const now = this.deps.now();
    const delay = backoffDelay(state.failures, this.deps.config().backoff, this.deps.random);
    state.backoffUntil = now + (unreachable ? Math.min(delay, UNREACHABLE_RETRY_MS) : delay);
    if (retryAfterMs !== undefined) state.retryAfterUntil = now + retryAfterMs;
  }

  /** May a refresh token whose earlier request is recorded as unanswered be sent again? */
  private answerLost(inflight: InflightAttempt): boolean {
    if (this.deps.lockIsShared || inflight.instance === this.deps.instance) return true;
    return this.deps.now() - inflight.startedAt >= this.deps.hardCapMs;
  }

  /** Runs under the lock: re-read, record the attempt, at most one network call, then compare-and-set. */
  private async locked(seen: StoredSession, trigger: RefreshTrigger): Promise<LockedOutcome> {
    const { store } = this.deps;
    const read = await store.read();
    if (!read) return { kind: 'no-session' };
    let base = read;
    if (read.lineage === seen.lineage && read.generation < seen.generation) {
      // Our newer session never reached storage (a failed write): it holds the live refresh token.
      base = seen;
    } else if (!sameSession(read, seen)) {
      return { kind: 'session', session: read, adopted: true };
    }
    if (read.inflight && !this.answerLost(read.inflight)) {
      const error = new TokenBrokerError(
        'refresh-unavailable',
        'another worker is still waiting for the answer to this refresh token',
      );
      return { kind: 'transient', error, retryAfterMs: undefined };
    }
    const inflight: InflightAttempt = {
      id: `${this.deps.instance}:${this.deps.now()}:${this.deps.random()}`,
      startedAt: this.deps.now(),
      instance: this.deps.instance,
    };
    // The record must be exactly as read, in-flight mark included: that makes the mark a lease.
    // Two contexts that do not share a lock (no Web Locks, or versions under different lock
    // names) both reading "no request out" cannot both take it; the second finds the first's.
    const unchanged = (current: StoredSession | null): current is StoredSession =>
      current !== null && sameSession(current, read) && current.inflight?.id === read.inflight?.id;
    let marked: StoredSession | null;
    let ours: (current: StoredSession | null) => boolean = (current) => current?.inflight?.id === inflight.id;
    try {
      marked = await store.update((current) => (unchanged(current) ? { ...base, inflight } : undefined));
    } catch (cause) {
      if (toTokenBrokerError(cause).code !== 'storage-failed') throw cause;
      // IndexedDB refuses writes (quota): refresh anyway rather than let the session expire;
      // the answer is stored if the record is still the one we read, else kept in memory.
      this.deps.onFailed(
        new TokenBrokerError('storage-failed', 'the refresh could not be recorded in IndexedDB', { cause }),
      );
      marked = { ...base, inflight };
      ours = unchanged;
    }
    if (marked?.inflight?.id !== inflight.id) {
      if (!marked) return { kind: 'no-session' };
      if (!sameSession(marked, read)) return { kind: 'session', session: marked, adopted: true };
      const error = new TokenBrokerError(
        'refresh-unavailable',
        'another worker took this refresh token a moment ago',
      );
      return { kind: 'transient', error, retryAfterMs: undefined };
    }

    const outcome = await this.deps.attempt(base.refreshToken);
    if (outcome.kind === 'ok') {
      const next = rotatedSession(base, outcome, trigger);
      const saved = await this.write((current) => (ours(current) ? next : undefined), next);
      if (saved !== next) {
        // The session ended or was replaced while the request was out: discard the answer.
        if (outcome.tokens.refreshToken) this.deps.onOrphaned(outcome.tokens.refreshToken);
        return saved ? { kind: 'session', session: saved, adopted: true } : { kind: 'no-session' };
      }
      return {
        kind: 'session',
        session: next,
        adopted: false,
        ...(outcome.flaw ? { flaw: outcome.flaw } : {}),
      };
    }
    const { inflight: _done, ...answered } = marked;
    if (outcome.kind === 'rejected') {
      let cleared = false;
      const after = await store.update((current) => (ours(current) ? ((cleared = true), null) : undefined));
      if (cleared) return outcome;
      // The session ended or was replaced while the request was out: the rejection ends nothing.
      return after ? { kind: 'session', session: after, adopted: true } : { kind: 'no-session' };
    }
    await store.update((current) => (ours(current) ? answered : undefined)).catch(() => undefined);
    return outcome;
  }

  /** Stores a rotated session; if IndexedDB refuses, keeps it in memory rather than lose the token. */
  private async write(
    decide: Parameters<SessionStore['update']>[0],
    next: StoredSession,
  ): Promise<StoredSession | null> {
    try {
      return await this.deps.store.update(decide);
    } catch (cause) {
      const error = toTokenBrokerError(cause);
      if (error.code !== 'storage-failed') throw cause;
      // The token is rotated at the server: memory is now its only copy (see `locked`'s re-read).
      this.deps.onFailed(
        new TokenBrokerError(
          'storage-failed',
          'the rotated session could not be stored; it is kept in memory',
          { cause },
        ),
      );
      return next;
    }
  }
}
