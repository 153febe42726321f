import type { DemoStats, Mark, Period, Side } from './stats-types.js';
import { tabText } from './tab-label.js';

/** At most this much history; less while the session is younger, but never under MIN_SPAN_MS. */
export const WINDOW_MS = 120_000;
const MIN_SPAN_MS = 20_000;
/** Lines in the text version of the timeline. */
const TEXT_LINES = 60;

export const SIDE_NAMES: Record<Side, string> = {
  broker: 'Broker (service worker)',
  classic: 'Classic interceptor (in-page)',
};

const TRIGGER_NAMES: Record<string, string> = {
  proactive: 'proactive',
  unauthorized: '401',
  explicit: 'explicit',
};
/** On the mark itself (the legend and the text version spell them out). */
const TRIGGER_SHORT: Record<string, string> = { proactive: 'P', unauthorized: '401', explicit: 'E' };

/**
 * Draws the timeline: per side a lane with each token lifetime as a band, refresh, login and
 * revocation marks on the band's row, and one row per tab for its 401s and replays; outages
 * and offline periods shade the lanes. `text` gets the same facts as a list, newest first.
 */
export function renderTimeline(
  figure: HTMLElement,
  text: HTMLElement,
  stats: DemoStats,
  sides: Side[],
): void {
  const end = stats.now + 1000;
  const first = Math.min(
    ...sides.flatMap((side) => [
      ...stats.sides[side].lifetimes.map((l) => l.from),
      ...stats.sides[side].marks.map((m) => m.at),
    ]),
  );
  const start = Math.max(end - WINDOW_MS, Math.min(end - MIN_SPAN_MS, first - 1000));
  const x = (t: number): string =>
    `${(Math.max(0, Math.min(1, (t - start) / (end - start))) * 100).toFixed(3)}%`;
  const width = (from: number, until: number): string =>
    `${Math.max(0.3, ((Math.min(until, end) - Math.max(from, start)) / (end - start)) * 100).toFixed(3)}%`;

  figure.replaceChildren(
    ...sides.map((side) => {
      const s = stats.sides[side];
      const onTabRow = (m: Mark): boolean => tabRow(side, m);
      const tabs = [...new Set(s.marks.filter(onTabRow).map((m) => m.tab as string))].sort();
      const lane = el('div', 'lane');
      lane.dataset.side = side;
      lane.append(el('div', 'lane-name', SIDE_NAMES[side]));
      const track = el('div', 'track');
      track.style.setProperty('--rows', String(1 + tabs.length));
      for (const p of [...stats.outages, ...stats.offline]) track.append(period(p, stats.now, x, width));
      s.lifetimes.forEach((l, i) => {
        const band = el('div', `band${i % 2 ? ' odd' : ''}${l.revoked ? ' revoked' : ''}`);
        band.style.left = x(l.from);
        band.style.width = width(l.from, l.until ?? stats.now);
        band.title = `generation ${l.generation}: ${l.refreshCalls} refresh call${l.refreshCalls === 1 ? '' : 's'}`;
        track.append(band);
      });
      tabs.forEach((t, i) => {
        const label = el('div', 'row-label', tabText(t));
        label.style.top = `calc(${i + 1} * var(--row))`;
        track.append(label);
      });
      for (const m of s.marks) {
        if (m.at < start) continue;
        const dot = el('div', `mark ${m.kind}${m.outcome ? ` ${m.outcome}` : ''}`);
        dot.style.left = x(m.at);
        dot.style.top = `calc(${onTabRow(m) ? tabs.indexOf(m.tab as string) + 1 : 0} * var(--row))`;
        dot.dataset.kind = m.kind;
        if (m.tab) dot.dataset.tab = m.tab;
        dot.title = describeMark(side, m);
        if (m.kind === 'refresh') dot.textContent = TRIGGER_SHORT[m.trigger ?? ''] ?? '?';
        track.append(dot);
      }
      lane.append(track);
      return lane;
    }),
  );
  figure.setAttribute('aria-label', summary(stats, sides, start, end));

  const lines = sides
    .flatMap((side) => stats.sides[side].marks.map((m) => ({ at: m.at, line: describeMark(side, m) })))
    .concat([...stats.outages, ...stats.offline].map((p) => ({ at: p.from, line: describePeriod(p) })))
    .sort((a, b) => b.at - a.at)
    .slice(0, TEXT_LINES);
  text.replaceChildren(...lines.map(({ at, line }) => el('li', '', `${clock(at)}  ${line}`)));
}

/**
 * What a tab itself sent goes on its row: its 401s and replays, and the classic client's
 * refreshes (each tab refreshes for itself). The broker's refresh is the worker's, for all
 * tabs: it sits on the lifetimes' row with logins and revocations.
 */
function tabRow(side: Side, m: Mark): boolean {
  if (m.tab === null) return false;
  return m.kind === '401' || m.kind === 'replay' || (m.kind === 'refresh' && side === 'classic');
}

function period(
  p: Period,
  now: number,
  x: (t: number) => string,
  width: (a: number, b: number) => string,
): HTMLElement {
  const shade = el('div', p.tab === null ? 'period outage' : 'period offline');
  shade.style.left = x(p.from);
  shade.style.width = width(p.from, p.until ?? now);
  shade.title = describePeriod(p);
  return shade;
}

function describePeriod(p: Period): string {
  const what = p.tab === null ? 'server outage' : `${tabText(p.tab)} offline`;
  return `${what}${p.until === null ? ' (ongoing)' : ` for ${((p.until - p.from) / 1000).toFixed(1)} s`}`;
}

export function describeMark(side: Side, m: Mark): string {
  const who = side === 'broker' ? 'broker' : 'classic';
  const gen = m.generation === null ? '' : ` (token generation ${m.generation})`;
  switch (m.kind) {
    case 'login':
      return `${who}: login${m.tab ? ` from ${tabText(m.tab)}` : ''}`;
    case 'refresh':
      return `${who}: refresh, trigger ${TRIGGER_NAMES[m.trigger ?? ''] ?? 'unknown'}, ${side === 'broker' ? `by the worker for ${m.tab ? tabText(m.tab) : 'every tab (wake-up timer)'}` : `from ${tabText(m.tab)}`}${gen} → ${m.outcome === 'reuse' ? 'REUSE DETECTED, session revoked' : (m.outcome ?? 'pending')}`;
    case '401':
      return `${who}: 401 for ${tabText(m.tab)}${gen}`;
    case 'replay':
      return `${who}: replay for ${tabText(m.tab)}${gen}`;
    case 'revoked':
      return `${who}: session revoked (${m.trigger ?? 'unknown reason'})`;
  }
}

function summary(stats: DemoStats, sides: Side[], start: number, end: number): string {
  const parts = sides.map((side) => {
    const s = stats.sides[side];
    return `${SIDE_NAMES[side]}: ${s.lifetimes.length} token lifetimes, ${s.refreshCalls} refresh calls, ${s.reuseDetections} reuse detections`;
  });
  return `Timeline of the last ${Math.round((end - start) / 1000)} seconds. ${parts.join('. ')}. The list below gives every event as text.`;
}

function clock(t: number): string {
  const d = new Date(t);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
