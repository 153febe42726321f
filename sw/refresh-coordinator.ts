import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import type { RefreshTrigger } from '../shared/protocol.js';
import { RefreshBackoff } from './backoff.js';
import type { DpopKey } from './dpop-proof.js';
import type { LockFn } from './lock.js';
import type { AttemptOutcome } from './refresh-attempt.js';
import { type LockedOutcome, retryRefresh } from './refresh-retry.js';
import { rotatedSession } from './rotated-session.js';
import type { ResolvedConfig } from './settings.js';
import type { InflightAttempt, SessionStore, StoredSession } from './store.js';

export interface CoordinatorDeps {
  store: SessionStore;
  lock: LockFn;
  /** False when the lock excludes only this worker (no `navigator.locks`). */
  lockIsShared: boolean;
  /** One request to the token endpoint; `dpopKey` (when `dpop` is on) proves it. */
  attempt: (refreshToken: string, dpopKey?: DpopKey) => Promise<AttemptOutcome>;
  config: () => ResolvedConfig;
  /** `Broker.instance`: marks which worker sent an unanswered refresh. */
  instance: string;
  /** How long a refresh request may stay unanswered before it counts as lost. */
  hardCapMs: number;
  /** @default REFRESH_BUDGET_MS (refresh-retry.ts) */
  budgetMs?: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  isOnline: () => boolean;
  /** Called once per refresh that stored or adopted a session, before callers resume. */
  onSession: (session: StoredSession, adopted: boolean) => void;
  /** Called once when a definitive rejection or a corrupt record ended the session. */
  onEnded: (reason: 'refresh-rejected' | 'storage-lost' | 'dpop-key-lost') => void;
  /** Called when a refresh gave up for another reason, or stored an answer with a flaw; once per kind of failure in a row. */
  onFailed: (error: TokenBrokerError) => void;
  /** A rotated refresh token arrived for a session that ended meanwhile (logout, new login). */
  onOrphaned: (refreshToken: string) => void;
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
 *   transient failures and invalid responses leave it untouched. With `dpop` on, a session
 *   without its DPoP key is cleared too, before anything is sent (its refresh token is bound
 *   to a key nobody holds).
 * - A DPoP nonce demand is answered inside the attempt that got it, under the same lock: the
 *   server refused the proof before it looked at the refresh token (RFC 9449 §8), so the one
 *   token is still sent at most once to be consumed.
 * - Every wait is bounded (hard cap, lock timeout, capped backoff); no loop runs unbounded.
 */
export class RefreshCoordinator {
  readonly #inflight = new Map<string, Promise<StoredSession>>();
  /** The backoff of the lineage refreshed last (a new login starts clean). */
  #backoff: RefreshBackoff;

  readonly #deps: CoordinatorDeps;

  constructor(deps: CoordinatorDeps) {
    this.#deps = deps;
    this.#backoff = new RefreshBackoff('', deps);
  }

  /** The running refresh of `lineage` (any lineage when omitted), if any. */
  running(lineage?: string): Promise<StoredSession> | null {
    if (lineage !== undefined) return this.#inflight.get(lineage) ?? null;
    return this.#inflight.values().next().value ?? null;
  }

  /** Resolves once no refresh runs in this worker (for `waitUntil`). */
  async settled(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight.values()]);
  }

  /** Refreshes the session the caller saw, or joins the refresh of its lineage already running. */
  refresh(seen: StoredSession, trigger: RefreshTrigger): Promise<StoredSession> {
    const existing = this.#inflight.get(seen.lineage);
    if (existing) return existing;
    const run = this.#run(seen, trigger).finally(() => this.#inflight.delete(seen.lineage));
    this.#inflight.set(seen.lineage, run);
    return run;
  }

  /** Evidence the network works (a response arrived, `online` fired): our own backoff ends. */
  networkBack(): void {
    this.#backoff.networkBack();
  }

  #run(seen: StoredSession, trigger: RefreshTrigger): Promise<StoredSession> {
    if (this.#backoff.lineage !== seen.lineage) this.#backoff = new RefreshBackoff(seen.lineage, this.#deps);
    return retryRefresh(() => this.#deps.lock(() => this.#locked(seen, trigger)), {
      ...this.#deps,
      backoff: this.#backoff,
    });
  }

  /** May a refresh token whose earlier request is recorded as unanswered be sent again? */
  #answerLost(inflight: InflightAttempt): boolean {
    if (this.#deps.lockIsShared || inflight.instance === this.#deps.instance) return true;
    return this.#deps.now() - inflight.startedAt >= this.#deps.hardCapMs;
  }

  /** Runs under the lock: re-read, record the attempt, at most one network call, then compare-and-set. */
  async #locked(seen: StoredSession, trigger: RefreshTrigger): Promise<LockedOutcome> {
    const { store } = this.#deps;
    const read = await store.read();
    if (!read) return { kind: 'no-session' };
    let base = read;
    if (read.lineage === seen.lineage && read.generation < seen.generation) {
      // Our newer session never reached storage (a failed write): it holds the live refresh token.
      base = seen;
    } else if (!sameSession(read, seen)) {
      return { kind: 'session', session: read, adopted: true };
    }
    const dpop = this.#deps.config().dpop;
    if (dpop && !base.dpopKey) {
      await store.update((current) => (sameSession(current, read) ? null : undefined)).catch(() => undefined);
      return { kind: 'key-lost' };
    }
    if (read.inflight && !this.#answerLost(read.inflight)) {
      const error = new TokenBrokerError(
        'refresh-unavailable',
        'another worker is still waiting for the answer to this refresh token',
      );
      return { kind: 'transient', error, retryAfterMs: undefined };
    }
    const inflight: InflightAttempt = {
      id: `${this.#deps.instance}:${this.#deps.now()}:${this.#deps.random()}`,
      startedAt: this.#deps.now(),
      instance: this.#deps.instance,
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
      this.#deps.onFailed(
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

    const outcome = await this.#deps.attempt(base.refreshToken, dpop ? base.dpopKey : undefined);
    if (outcome.kind === 'ok') {
      const next = rotatedSession(base, outcome, trigger);
      const saved = await this.#write((current) => (ours(current) ? next : undefined), next);
      if (saved !== next) {
        // The session ended or was replaced while the request was out: discard the answer.
        if (outcome.tokens.refreshToken) this.#deps.onOrphaned(outcome.tokens.refreshToken);
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
      const after = await store.update((current) => {
        if (!ours(current)) return undefined;
        cleared = true;
        return null;
      });
      if (cleared) return outcome;
      // The session ended or was replaced while the request was out: the rejection ends nothing.
      return after ? { kind: 'session', session: after, adopted: true } : { kind: 'no-session' };
    }
    await store.update((current) => (ours(current) ? answered : undefined)).catch(() => undefined);
    return outcome;
  }

  /** Stores a rotated session; if IndexedDB refuses, keeps it in memory rather than lose the token. */
  async #write(
    decide: Parameters<SessionStore['update']>[0],
    next: StoredSession,
  ): Promise<StoredSession | null> {
    try {
      return await this.#deps.store.update(decide);
    } catch (cause) {
      const error = toTokenBrokerError(cause);
      if (error.code !== 'storage-failed') throw cause;
      // The token is rotated at the server: memory is now its only copy (see `locked`'s re-read).
      this.#deps.onFailed(
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
