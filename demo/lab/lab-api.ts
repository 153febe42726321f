import type { DemoStats } from './stats-types.js';

// The demo server's lab surface (`/__demo/*`, demo mode only). Outside the worker's apiPaths,
// so these calls carry no token.

async function post(name: string, body: unknown = {}): Promise<unknown> {
  const response = await fetch(`/__demo/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`/__demo/${name} answered ${response.status}`);
  return response.json();
}

/** The server's counters and timeline facts; null when the server is not in demo mode. */
export async function fetchStats(): Promise<DemoStats | null> {
  const response = await fetch('/__demo/stats', { cache: 'no-store' });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`/__demo/stats answered ${response.status}`);
  return (await response.json()) as DemoStats;
}

export interface Toggles {
  refresh500?: boolean;
  slowRefresh?: boolean;
  outage?: boolean;
}

export const setToggles = (toggles: Toggles): Promise<unknown> => post('toggle', toggles);
export const resetServerCounters = (): Promise<unknown> => post('reset');

/** The race's moment on the server: tokens issued so far count as expired; refresh calls get latency. */
export async function startRaceOnServer(): Promise<number> {
  return ((await post('race')) as { at: number }).at;
}

/** Tells the server's timeline what this tab learnt about a broker refresh. */
export function noteRefreshed(generation: number, trigger: string, tab: string | null): Promise<unknown> {
  return post('note', { kind: 'refreshed', generation, trigger, tab });
}

export function noteOffline(from: number, until: number, tab: string): Promise<unknown> {
  return post('note', { kind: 'offline', from, until, tab });
}
