import type { IncomingMessage } from 'node:http';
import type { RefreshOutcome, Side } from '../lab/stats-types.js';

export type { RefreshOutcome, Side };

export const CLASSIC_PREFIX = '/classic/';

export function sideOf(path: string): Side {
  return path.startsWith(CLASSIC_PREFIX) ? 'classic' : 'broker';
}

/** The token a request carried, as signed by us (expired or not); never the token itself. */
export interface TokenRef {
  family: string;
  generation: number;
}

/** One fact the demo's timeline shows. Holds no token material. */
export type LedgerEntry =
  | {
      kind: 'request';
      at: number;
      side: Side;
      path: string;
      tab: string | null;
      /** The page's id for one logical call: a second arrival of the same id is a replay. */
      call: string | null;
      authorization: boolean;
      token: TokenRef | null;
      status: number;
      /** When the answer was written (0 until then). */
      doneAt: number;
    }
  | {
      kind: 'refresh';
      at: number;
      side: Side;
      tab: string | null;
      /** Sent by the classic client; the broker's worker says it in its `refreshed` event instead. */
      trigger: string | null;
      family: string | null;
      /** Generation of the refresh token presented: the lifetime this call tried to end. */
      fromGeneration: number | null;
      outcome: RefreshOutcome | null;
      /** When the outcome was decided (after any delay). */
      doneAt: number | null;
    }
  | { kind: 'login'; at: number; side: Side; tab: string | null; family: string }
  | { kind: 'outage'; at: number; on: boolean }
  | { kind: 'revoked'; at: number; family: string; reason: string }
  /** What a page learnt about a broker refresh (its trigger; the tab that asked for it, if it knows). */
  | { kind: 'note'; at: number; generation: number; trigger: string; tab: string | null }
  /** A browser-side offline period a page reported when it came back. */
  | { kind: 'offline'; at: number; until: number; tab: string | null };

const LIMIT = 4000;

/** Ids the page sends so the timeline can name tabs and spot replays; short and plain, or ignored. */
export function demoHeader(
  req: IncomingMessage,
  name: 'x-demo-tab' | 'x-demo-call' | 'x-demo-trigger',
): string | null {
  const value = req.headers[name];
  return typeof value === 'string' && /^[\w.-]{1,40}$/.test(value) ? value : null;
}

/** The demo mode's record of what happened, for the timeline. Bounded; reset with the counters. */
export class Ledger {
  private list: LedgerEntry[] = [];

  add<E extends LedgerEntry>(entry: E): E {
    this.list.push(entry);
    if (this.list.length > LIMIT) this.list.splice(0, this.list.length - LIMIT);
    return entry;
  }

  entries(): readonly LedgerEntry[] {
    return this.list;
  }

  reset(): void {
    this.list = [];
  }
}
