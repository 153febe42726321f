import type { IncomingMessage } from 'node:http';
import { demoHeader, sideOf, type LedgerEntry, type RefreshOutcome } from './ledger.js';
import type { ServerState } from './state.js';
import type { Family } from './token-store.js';
import type { RefreshFault } from './types.js';

// Where the routes tell the demo mode's ledger what happened. Every hook does nothing outside
// demo mode, so the routes behave exactly as before there.

type RefreshEntry = Extract<LedgerEntry, { kind: 'refresh' }>;

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
}

export function noteLogin(state: ServerState, req: IncomingMessage, family: Family): void {
  if (!state.demoMode) return;
  state.ledger.add({
    kind: 'login',
    at: Date.now(),
    side: sideOf(pathOf(req)),
    tab: demoHeader(req, 'x-demo-tab'),
    family: family.id,
  });
}

/** The refresh call's entry; the route fills in its outcome once it is known. */
export function noteRefresh(
  state: ServerState,
  req: IncomingMessage,
  family: Family | undefined,
  token: string | undefined,
): RefreshEntry | null {
  if (!state.demoMode) return null;
  return state.ledger.add({
    kind: 'refresh',
    at: Date.now(),
    side: sideOf(pathOf(req)),
    tab: demoHeader(req, 'x-demo-tab'),
    trigger: demoHeader(req, 'x-demo-trigger'),
    family: family?.id ?? null,
    fromGeneration: token === undefined ? null : (state.store.generationOf(token) ?? null),
    outcome: null,
    doneAt: null,
  });
}

export function settleRefresh(entry: RefreshEntry | null, outcome: RefreshOutcome): void {
  if (!entry) return;
  entry.outcome = outcome;
  entry.doneAt = Date.now();
}

/** The "refresh answers 500" toggle, as a fault (a queued test fault goes first). */
export function stickyFault(state: ServerState): RefreshFault | undefined {
  return state.demo.refresh500 ? { kind: 'status', status: 500 } : undefined;
}

/** The "slow refresh" toggle plus the race's network latency, in ms. */
export function demoRefreshDelay(state: ServerState): number {
  const race = Date.now() < state.demo.raceLatencyUntil ? state.demo.raceLatencyMs : 0;
  return state.demo.slowRefreshMs + race;
}
