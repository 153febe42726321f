import type { StoredSession } from './store.js';

/** At most this many 401-triggered refreshes per login lineage in any `windowMs`. */
export const UNAUTHORIZED_REFRESH_BUDGET = { max: 3, windowMs: 60_000 } as const;

/** What to do with a 401 for a token the broker still holds. */
export type UnauthorizedDecision = 'refresh' | 'unauthorized-after-refresh' | 'refresh-budget-exceeded';

export const UNAUTHORIZED_MESSAGES: Record<Exclude<UnauthorizedDecision, 'refresh'>, string> = {
  'unauthorized-after-refresh': 'a refresh did not cure this 401',
  'refresh-budget-exceeded': 'too many 401-triggered refreshes in the last minute',
};

/**
 * One owner for "does this 401 buy a refresh". A refresh triggered by a 401 whose replay got
 * 401 again proves the token is not the cause (a 401 where 403 belongs, a lost permission), so
 * further 401s for that token pass through until the token changes for another reason
 * (proactive or explicit refresh, login). The budget is the safety net for every other path
 * (page-side helpers, endpoints that alternate): identity providers rate-limit the refresh
 * grant, and once they answer 429 every tab's real refreshes fail too.
 */
export class UnauthorizedPolicy {
  #uncured: { lineage: string; generation: number } | null = null;
  #spent: { lineage: string; at: number[] } = { lineage: '', at: [] };
  #reported: string | null = null;

  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  decide(sent: Pick<StoredSession, 'lineage' | 'generation'>): UnauthorizedDecision {
    const u = this.#uncured;
    if (u && u.lineage === sent.lineage && sent.generation >= u.generation)
      return 'unauthorized-after-refresh';
    return this.#recent(sent.lineage).length >= UNAUTHORIZED_REFRESH_BUDGET.max
      ? 'refresh-budget-exceeded'
      : 'refresh';
  }

  /** True the first time this lineage's exhausted budget is reported (tell the app once). */
  firstReport(lineage: string): boolean {
    if (this.#reported === lineage) return false;
    this.#reported = lineage;
    return true;
  }

  /** A 401 made the broker send a refresh for this lineage. */
  recordRefresh(lineage: string): void {
    this.#spent = { lineage, at: [...this.#recent(lineage), this.#now()] };
  }

  /** The replay with the session a 401-triggered refresh produced got 401 again. */
  recordNotCured(session: Pick<StoredSession, 'lineage' | 'generation'>): void {
    this.#uncured = { lineage: session.lineage, generation: session.generation };
  }

  /** A new token for another reason than a 401: it deserves a fresh start. */
  recordNewToken(session: Pick<StoredSession, 'lineage' | 'trigger'>): void {
    if (session.trigger !== 'unauthorized' || this.#uncured?.lineage !== session.lineage)
      this.#uncured = null;
  }

  #recent(lineage: string): number[] {
    const since = this.#now() - UNAUTHORIZED_REFRESH_BUDGET.windowMs;
    return this.#spent.lineage === lineage ? this.#spent.at.filter((t) => t > since) : [];
  }
}
