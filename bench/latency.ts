// Rows 7a–e (issue 20): the same comparisons as rows 1a and 4a–c, with every origin behind a
// proxy that adds a 20–50 ms round trip. On localhost a round trip is ~4 ms and any worker's
// fixed cost dominates; here the figures show what a user on a real network pays.
import type { Browser } from '@playwright/test';
import { REALISTIC_LATENCY } from './latency-proxy.js';
import { openVariant, type BenchSite, type Closer, type Variant, type VariantName } from './origins.js';
import { timeSequential } from './page-probes.js';
import { measureRecovery, type RecoveryDetails } from './recovery.js';
import type { Row } from './report.js';
import { rotate, summarize, type Summary } from './stats.js';

const LATENCY_OVERHEAD = { rounds: 4, perRound: 50, warmup: 10, limit: 1.05 } as const;
/** Token lifetime on the overhead origins: long enough that no refresh runs while measuring. */
const STEADY_TTL_SECONDS = 3600;
const API_PATH = '/api/me';

export interface LatencyDetails {
  sequential: Record<VariantName, Summary>;
  recovery: RecoveryDetails;
}

const range = `${REALISTIC_LATENCY.minMs}–${REALISTIC_LATENCY.maxMs} ms`;

export async function measureAtLatency(
  browser: Browser,
  site: BenchSite,
  onClose: Closer,
  signal: AbortSignal,
): Promise<{ rows: Row[]; details: LatencyDetails }> {
  const variants: Variant[] = [];
  for (const name of ['none', 'pass-through', 'broker'] as const)
    variants.push(await openVariant(browser, site, name, STEADY_TTL_SECONDS, onClose, {}, REALISTIC_LATENCY));
  const time = (v: Variant, count: number): Promise<number[]> =>
    v.page.evaluate(timeSequential, { path: API_PATH, count, token: v.tokens?.access_token ?? null });
  for (const v of variants) await time(v, LATENCY_OVERHEAD.warmup);
  const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < LATENCY_OVERHEAD.rounds; round++) {
    for (const v of rotate(variants, round))
      times[v.name]!.push(...(await time(v, LATENCY_OVERHEAD.perRound)));
    signal.throwIfAborted();
  }
  const sequential = Object.fromEntries(variants.map((v) => [v.name, summarize(times[v.name]!)])) as Record<
    VariantName,
    Summary
  >;

  const none = variants[0]!;
  const recovery = await measureRecovery(browser, site, none, onClose, signal, {
    latency: REALISTIC_LATENCY,
    ids: ['7b', '7c', '7d', '7e'],
    limit: 1.05,
    label: ` at ${range} round trips`,
  });
  const p50 = (name: VariantName): string => `${sequential[name].p50.toFixed(2)} ms`;
  const overheadRow: Row = {
    id: '7a',
    measure: `overhead at ${range} round trips, ${sequential.broker.n} sequential GET ${API_PATH}: broker ÷ pass-through, p50`,
    value: sequential.broker.p50 / sequential['pass-through'].p50,
    target: { op: '<=', limit: LATENCY_OVERHEAD.limit, unit: '' },
    detail: `p50 none ${p50('none')}, pass-through ${p50('pass-through')}, broker ${p50('broker')}; broker ÷ none ${(sequential.broker.p50 / sequential.none.p50).toFixed(2)}`,
  };
  return { rows: [overheadRow, ...recovery.rows], details: { sequential, recovery: recovery.details } };
}
