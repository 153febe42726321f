import type { DemoStats, LifetimeStats, Mark, Period, Side, SideStats } from '../lab/stats-types.js';
import type { LedgerEntry } from './ledger.js';
import type { ServerState } from './state.js';

/** How far back the timeline's marks and lifetimes reach. */
const WINDOW_MS = 5 * 60_000;
/** A proactive refresh is put down to a tab whose request reached the server this close to the refresh call. */
const NEAR_MS = 300;
/** A page's note of a broker refresh belongs to the rotation that finished at most this long before it. */
const NOTE_MS = 3000;

type Entry<K extends LedgerEntry['kind']> = Extract<LedgerEntry, { kind: K }>;

/** The lab's view of the server: counters per side, lifetimes and timeline marks, from the ledger. */
export function demoStats(state: ServerState): DemoStats {
  const now = Date.now();
  const entries = state.ledger.entries();
  const of = <K extends LedgerEntry['kind']>(kind: K): Entry<K>[] =>
    entries.filter((e): e is Entry<K> => e.kind === kind);
  const logins = of('login');
  const sideOfFamily = new Map(logins.map((l) => [l.family, l.side]));
  const side = (s: Side): SideStats => sideStats(state, s, of, sideOfFamily, now);
  return {
    now,
    accessTtlSeconds: state.config.accessTtlSeconds,
    toggles: {
      refresh500: state.demo.refresh500,
      slowRefresh: state.demo.slowRefreshMs > 0,
      outage: state.offline,
    },
    sides: { broker: side('broker'), classic: side('classic') },
    outages: outagePeriods(of('outage')),
    offline: of('offline')
      .filter((o) => o.until > now - WINDOW_MS)
      .map((o) => ({ from: o.at, until: o.until, tab: o.tab })),
  };
}

function sideStats(
  state: ServerState,
  side: Side,
  of: <K extends LedgerEntry['kind']>(kind: K) => Entry<K>[],
  sideOfFamily: Map<string, Side>,
  now: number,
): SideStats {
  const requests = of('request').filter((r) => r.side === side);
  const refreshes = of('refresh').filter((r) => r.side === side);
  const logins = of('login').filter((l) => l.side === side);
  const revoked = of('revoked').filter((r) => sideOfFamily.get(r.family) === side);
  const families = new Set(logins.map((l) => l.family));

  const seenCalls = new Set<string>();
  const marks: Mark[] = [];
  const mark = (m: Partial<Mark> & Pick<Mark, 'at' | 'kind'>): void =>
    void marks.push({ tab: null, trigger: null, outcome: null, generation: null, family: null, ...m });
  let replays = 0;
  for (const r of requests) {
    const base = {
      at: r.at,
      tab: r.tab,
      generation: r.token?.generation ?? null,
      family: r.token?.family ?? null,
    };
    if (r.call !== null && seenCalls.has(r.call)) {
      replays++;
      mark({ ...base, kind: 'replay' });
    } else if (r.call !== null) seenCalls.add(r.call);
    if (r.status === 401) mark({ ...base, at: r.doneAt, kind: '401' });
  }
  const notes = of('note');
  for (const r of refreshes) {
    const trigger = r.trigger ?? (side === 'broker' ? (noteFor(r, notes)?.trigger ?? null) : null);
    const tab = r.tab ?? noteFor(r, notes)?.tab ?? guessTab(r, trigger, requests);
    mark({
      at: r.at,
      kind: 'refresh',
      tab,
      trigger,
      outcome: r.outcome,
      generation: r.fromGeneration,
      family: r.family,
    });
  }
  for (const l of logins) mark({ at: l.at, kind: 'login', tab: l.tab, generation: 1, family: l.family });
  for (const r of revoked) mark({ at: r.at, kind: 'revoked', trigger: r.reason, family: r.family });
  marks.sort((a, b) => a.at - b.at);

  return {
    refreshCalls: refreshes.length,
    rotations: refreshes.filter((r) => r.outcome === 'rotated').length,
    reuseDetections: refreshes.filter((r) => r.outcome === 'reuse').length,
    revokedFamilies: [...families].filter((f) => state.store.family(f)?.revoked).length,
    requestsWithToken: requests.filter((r) => r.authorization).length,
    requestsWithoutToken: requests.filter((r) => !r.authorization).length,
    unauthorized: requests.filter((r) => r.status === 401).length,
    replays,
    family: logins.at(-1)?.family ?? null,
    lifetimes: lifetimes(logins, refreshes, revoked).filter((l) => (l.until ?? now) > now - WINDOW_MS),
    marks: marks.filter((m) => m.at > now - WINDOW_MS),
  };
}

/** Each family's generations: issued at login or by a rotation, ended by the next rotation or a revocation. */
function lifetimes(
  logins: Entry<'login'>[],
  refreshes: Entry<'refresh'>[],
  revoked: Entry<'revoked'>[],
): LifetimeStats[] {
  const out: LifetimeStats[] = [];
  for (const login of logins) {
    const calls = refreshes.filter((r) => r.family === login.family);
    // A grace answer re-issues the current generation: only a rotation starts a new lifetime.
    const rotations = calls.filter((r) => r.outcome === 'rotated');
    const end = revoked.find((r) => r.family === login.family);
    let from = login.at;
    let generation = 1;
    for (const rotation of rotations) {
      const at = rotation.doneAt ?? rotation.at;
      out.push(lifetime(login.family, generation, from, at, calls, null));
      from = at;
      generation = (rotation.fromGeneration ?? generation) + 1;
    }
    out.push(lifetime(login.family, generation, from, end?.at ?? null, calls, end?.reason ?? null));
  }
  return out;
}

function lifetime(
  family: string,
  generation: number,
  from: number,
  until: number | null,
  calls: Entry<'refresh'>[],
  revoked: string | null,
): LifetimeStats {
  const refreshCalls = calls.filter((c) => c.fromGeneration === generation).length;
  return { family, generation, from, until, refreshCalls, revoked };
}

/** The page's note of this broker rotation: its trigger, and the tab when the explicit caller wrote it. */
function noteFor(r: Entry<'refresh'>, notes: Entry<'note'>[]): Entry<'note'> | undefined {
  if (r.outcome !== 'rotated' || r.doneAt === null) return undefined;
  const done = r.doneAt;
  const near = notes.filter((n) => n.at >= done - 50 && n.at <= done + NOTE_MS);
  return near.find((n) => n.tab !== null) ?? near[0];
}

/**
 * The worker's own refresh call names no tab. A 401 refresh belongs to the tab whose request
 * got the first 401 for that token; a proactive one to a tab whose request arrived with it
 * (the worker checks expiry on every request); else the tabs' shared wake-up timer did it (null).
 */
function guessTab(r: Entry<'refresh'>, trigger: string | null, requests: Entry<'request'>[]): string | null {
  const sameToken = requests.filter(
    (q) => q.token?.family === r.family && q.token?.generation === r.fromGeneration && q.tab !== null,
  );
  if (trigger === 'unauthorized')
    return sameToken.find((q) => q.status === 401 && q.doneAt <= r.at)?.tab ?? null;
  return sameToken.find((q) => Math.abs(q.at - r.at) <= NEAR_MS)?.tab ?? null;
}

function outagePeriods(entries: Entry<'outage'>[]): Period[] {
  const out: Period[] = [];
  for (const e of entries) {
    if (e.on) out.push({ from: e.at, until: null, tab: null });
    else {
      const open = out.at(-1);
      if (open && open.until === null) open.until = e.at;
    }
  }
  return out;
}
