import type { RefreshTrigger } from '../shared/protocol.js';
import { Aborted, bounded } from './bounded.js';
import { expiresIn, refreshDueAt } from './expiry.js';
import type { ResolvedConfig } from './settings.js';
import type { StoredSession } from './store.js';

export interface RefreshPolicyDeps {
  session: () => StoredSession | null;
  config: () => ResolvedConfig | null;
  /** The config, or `not-configured`. */
  requireConfig: () => ResolvedConfig;
  now: () => number;
  /** The refresh of `lineage` running in this worker, if any. */
  running: (lineage: string) => Promise<StoredSession> | null;
  /** Starts (or joins) a refresh of the current session. */
  refresh: (trigger: RefreshTrigger) => Promise<StoredSession>;
}

/** What a session is wanted for: one request through the worker, or a token a page takes away. */
export type SessionUse =
  | {
      for: 'request';
      /** The session the request arrived under (its login): only its refresh is waited for. */
      owner: StoredSession | null;
      signal: AbortSignal;
      /** Holds the event open for a refresh the request stops waiting for. */
      waitUntil: (p: Promise<unknown>) => void;
    }
  | { for: 'token'; minValidityMs: number };

/** `sessionFor` of a request that was aborted while it waited. */
export const ABORTED = Symbol('aborted');

/**
 * The one owner of "is a refresh due, and should this caller wait for it". Every event runs
 * the proactive check (`refreshIfDue`, docs/platform-facts.md §1); callers that need a session
 * ask `sessionFor`, never the clock or the coordinator. The two uses wait by different rules:
 * - a request waits for a running refresh of its login, and for an overdue one only once its
 *   token has expired (in the lead window the token still works: it goes out at once); it
 *   waits at most `requestWaitSeconds` and then goes out with what there is;
 * - a page taking a token away (`getAccessToken`) gets one that lasts: it waits, up to
 *   `refreshTimeoutSeconds`, whenever the refresh is due or the token would not last
 *   `minValidityMs`; a failed refresh still leaves the current token while it is valid.
 */
export class RefreshPolicy {
  readonly #deps: RefreshPolicyDeps;

  constructor(deps: RefreshPolicyDeps) {
    this.#deps = deps;
  }

  /** Milliseconds until the proactive refresh is due (≤ 0: due now), or null. */
  dueIn(): number | null {
    const s = this.#deps.session();
    const config = this.#deps.config();
    if (!s || !config) return null;
    const due = refreshDueAt(s.expiresAt, s.receivedAt, config.refreshLeadMs);
    return due === null ? null : due - this.#deps.now();
  }

  isDue(): boolean {
    return (this.dueIn() ?? 1) <= 0;
  }

  /** The proactive check every event runs: starts the refresh when due; never rejects. */
  refreshIfDue(): Promise<void> {
    if (!this.isDue()) return Promise.resolve();
    return this.#deps.refresh('proactive').then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * The session to use, after waiting (bounded) as `use` requires: null without one, `ABORTED`
   * for a request aborted meanwhile. A `token` use throws the refresh's error when no valid
   * token of the same login is left.
   */
  async sessionFor(use: SessionUse): Promise<StoredSession | null | typeof ABORTED> {
    return use.for === 'request' ? this.#forRequest(use) : this.#forToken(use.minValidityMs);
  }

  async #forRequest({
    owner,
    signal,
    waitUntil,
  }: Extract<SessionUse, { for: 'request' }>): Promise<StoredSession | null | typeof ABORTED> {
    let refresh = owner ? this.#deps.running(owner.lineage) : null;
    let wait = refresh !== null;
    if (owner && !refresh && this.isDue()) {
      refresh = this.#deps.refresh('proactive');
      wait = (this.#expiresIn(owner) ?? 1) <= 0;
    }
    if (refresh) {
      // The event holds every refresh this request waits for or starts: the request may stop
      // waiting, but the worker must stay alive until the rotated token is stored.
      waitUntil(refresh.catch(() => undefined));
      if (wait) {
        try {
          await bounded(refresh, this.#deps.config()?.requestWaitMs ?? 0, signal);
        } catch (error) {
          if (error instanceof Aborted) return ABORTED;
        }
      }
    }
    return this.#deps.session();
  }

  async #forToken(minValidityMs: number): Promise<StoredSession | null> {
    const s = this.#deps.session();
    if (!s) return null;
    const expiresIn = this.#expiresIn(s);
    if (!this.isDue() && (expiresIn === null || expiresIn >= minValidityMs)) return s;
    try {
      return await bounded(this.#deps.refresh('proactive'), this.#deps.requireConfig().refreshTimeoutMs);
    } catch (error) {
      // A transient failure still leaves a usable token until it expires.
      const current = this.#deps.session();
      if (!current || current.lineage !== s.lineage || (this.#expiresIn(current) ?? 1) <= 0) throw error;
      return current;
    }
  }

  #expiresIn(s: StoredSession): number | null {
    return expiresIn(s, this.#deps.now);
  }
}
