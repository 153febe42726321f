import type { DemoStats, LifetimeStats, Side, SideStats } from './stats-types.js';

type Row = { key: string; label: string; value: (s: SideStats) => string };

/** The last this many ended lifetimes show their refresh-call counts. */
const LIFETIMES_SHOWN = 6;

const ROWS: Row[] = [
  { key: 'refreshCalls', label: 'Refresh calls', value: (s) => String(s.refreshCalls) },
  { key: 'rotations', label: 'Rotations', value: (s) => String(s.rotations) },
  { key: 'reuseDetections', label: 'Reuse detections', value: (s) => String(s.reuseDetections) },
  { key: 'revokedFamilies', label: 'Revoked sessions', value: (s) => String(s.revokedFamilies) },
  { key: 'requestsWithToken', label: 'API requests with a token', value: (s) => String(s.requestsWithToken) },
  {
    key: 'requestsWithoutToken',
    label: 'API requests without a token',
    value: (s) => String(s.requestsWithoutToken),
  },
  { key: 'unauthorized', label: '401 answers', value: (s) => String(s.unauthorized) },
  { key: 'replays', label: 'Replayed requests', value: (s) => String(s.replays) },
  { key: 'perLifetime', label: 'Refresh calls per token lifetime (oldest first)', value: perLifetime },
];

/** "1 · 1 · 1": refresh calls that ended each recent lifetime; one each is the goal. */
function perLifetime(s: SideStats): string {
  const ended = s.lifetimes.filter((l: LifetimeStats) => l.until !== null && l.refreshCalls > 0);
  const recent = ended.slice(-LIFETIMES_SHOWN);
  if (recent.length === 0) return '–';
  const all1 = recent.every((l) => l.refreshCalls === 1);
  return `${recent.map((l) => l.refreshCalls).join(' · ')}${all1 ? ' (one per lifetime)' : ''}`;
}

export function renderCounters(table: HTMLTableElement, stats: DemoStats, sides: Side[]): void {
  table.tBodies[0]?.replaceChildren(
    ...ROWS.map((row) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = row.label;
      tr.append(th);
      for (const side of ['broker', 'classic'] as const) {
        const td = document.createElement('td');
        td.id = `count-${side}-${row.key}`;
        td.className = side === 'classic' ? 'classic-col' : '';
        td.hidden = !sides.includes(side);
        td.textContent = row.value(stats.sides[side]);
        tr.append(td);
      }
      return tr;
    }),
  );
  for (const th of table.querySelectorAll<HTMLElement>('thead .classic-col'))
    th.hidden = !sides.includes('classic');
}
