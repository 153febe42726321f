import type { Browser } from '@playwright/test';
import { loginThroughForm, openDemo } from '../e2e/harness/tabs.js';
import { newBenchContext } from './browser.js';
import { BROKER_SW, startOrigin, type BenchSite, type Closer } from './origins.js';
import { stormTab } from './page-probes.js';
import type { Row } from './report.js';
import { sleep } from './stats.js';

/** Issue 7 §3: 3 demo tabs with `?lead=1`, bursts for 5 token lifetimes of 3 s. */
export const STORM = {
  ttlSeconds: 3,
  lifetimes: 5,
  tabs: 3,
  burst: 10,
  maxPauseMs: 400,
  leadSeconds: 1,
} as const;

export interface StormDetails {
  elapsedMs: number;
  refreshCalls: number;
  rotations: number;
  reuseDetections: number;
  invalidGrants: number;
  unauthorized: number;
  requestsOk: number;
  requestsFailed: number;
  errors: string[];
}

/**
 * The storm: every tab fires bursts through the demo's own fetch and axios calls while the
 * leader tab's wake-ups and the requests' own expiry checks compete to refresh.
 */
export async function measureStorm(
  browser: Browser,
  site: BenchSite,
  onClose: Closer,
): Promise<{ rows: Row[]; details: StormDetails }> {
  const server = await startOrigin(site, BROKER_SW, STORM.ttlSeconds, onClose);
  const context = await newBenchContext(browser);
  onClose(() => context.close());
  const tabs = [];
  for (let i = 0; i < STORM.tabs; i++)
    tabs.push(await openDemo(context, server, { lead: STORM.leadSeconds }));
  await loginThroughForm(tabs[0]!);

  server.control.reset();
  const start = Date.now();
  const durationMs = STORM.lifetimes * STORM.ttlSeconds * 1000;
  const results = await Promise.all(
    tabs.map((tab) =>
      tab.evaluate(stormTab, { durationMs, burst: STORM.burst, maxPauseMs: STORM.maxPauseMs }),
    ),
  );
  const elapsedMs = Date.now() - start;
  // No tab left to wake the worker; a refresh already on the wire still completes and is counted.
  for (const tab of tabs) await tab.close();
  await sleep(500);
  const c = server.control.counters();
  const details: StormDetails = {
    elapsedMs,
    refreshCalls: c.refreshCalls,
    rotations: c.rotations,
    reuseDetections: c.reuseDetections,
    invalidGrants: c.invalidGrants,
    unauthorized: c.unauthorized,
    requestsOk: results.reduce((n, r) => n + r.ok, 0),
    requestsFailed: results.reduce((n, r) => n + r.failed, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 5),
  };
  return { rows: stormRows(details), details };
}

function stormRows(d: StormDetails): Row[] {
  const lifetimes = d.elapsedMs / (STORM.ttlSeconds * 1000);
  const dueAfter = STORM.ttlSeconds - Math.min(STORM.leadSeconds, STORM.ttlSeconds / 4);
  const traffic = `${d.requestsOk} requests ok, ${d.requestsFailed} failed; ${d.unauthorized}×401, ${d.reuseDetections} reuse detections, ${d.invalidGrants} invalid_grant`;
  const target = { op: '=', limit: 1, unit: '' } as const;
  return [
    {
      id: '3a',
      measure: `refresh efficiency, storm (${STORM.tabs} tabs, TTL ${STORM.ttlSeconds} s, lead ${STORM.leadSeconds} s): refresh calls ÷ token lifetimes used (rotations)`,
      value: d.rotations > 0 ? d.refreshCalls / d.rotations : null,
      target,
      detail: `${d.refreshCalls} calls, ${d.rotations} rotations; ${traffic}${d.errors.length ? `; e.g. ${d.errors[0]}` : ''}`,
    },
    {
      id: '3b',
      measure: 'same storm: refresh calls ÷ TTLs elapsed (wall clock)',
      value: d.refreshCalls / lifetimes,
      target,
      detail: `${d.refreshCalls} calls in ${(d.elapsedMs / 1000).toFixed(1)} s = ${lifetimes.toFixed(2)} TTLs; the lead rule refreshes ${dueAfter.toFixed(2)} s into each ${STORM.ttlSeconds} s token, i.e. ≥ ${(STORM.ttlSeconds / dueAfter).toFixed(2)} by design`,
    },
  ];
}
