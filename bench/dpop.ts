import type { Browser } from '@playwright/test';
import { openVariant, type BenchSite, type Closer, type Variant } from './origins.js';
import { timeSequential } from './page-probes.js';
import type { Row } from './report.js';
import { rotate, summarize, type Summary } from './stats.js';

/** Issue 18: what `dpop: true` adds to each in-scope request (a proof signed in the worker). */
export const DPOP = { rounds: 8, perRound: 125, warmup: 40 } as const;

const API_PATH = '/api/me';

export interface DpopDetails {
  plain: Summary;
  dpop: Summary;
}

/** Confirms the DPoP origin's worker really sends `Authorization: DPoP` and a proof (the context's network events). */
async function assertProved(variant: Variant): Promise<void> {
  const target = `${variant.server.url}${API_PATH}`;
  const seen = new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('no worker request to /api/me seen within 10 s')),
      10_000,
    );
    variant.context.on('request', (request) => {
      if (request.url() !== target || !request.serviceWorker()) return;
      clearTimeout(timer);
      resolve(request.allHeaders());
    });
  });
  await variant.page.evaluate(timeSequential, { path: API_PATH, count: 1, token: null });
  const headers = await seen;
  if (!headers.authorization?.startsWith('DPoP ') || !headers.dpop)
    throw new Error('the dpop origin sent no DPoP proof: the measurement would compare nothing');
}

/**
 * Two broker origins, the same but for `dpop` (the demo server accepts the DPoP scheme without
 * checking proofs, so only the worker's side is measured), sequential GETs interleaved in
 * rounds. The row is the difference of the medians: the time a proof adds to a request.
 */
export async function measureDpop(
  browser: Browser,
  site: BenchSite,
  onClose: Closer,
  ttlSeconds: number,
  signal: AbortSignal,
): Promise<{ rows: Row[]; details: DpopDetails }> {
  const plain = await openVariant(browser, site, 'broker', ttlSeconds, onClose);
  const dpop = await openVariant(browser, site, 'broker', ttlSeconds, onClose, {
    worker: JSON.stringify({ dpop: true }),
  });
  await assertProved(dpop);
  const times = new Map<Variant, number[]>([
    [plain, []],
    [dpop, []],
  ]);
  for (const v of times.keys())
    await v.page.evaluate(timeSequential, { path: API_PATH, count: DPOP.warmup, token: null });
  for (let round = 0; round < DPOP.rounds; round++) {
    for (const v of rotate([plain, dpop], round))
      times
        .get(v)!
        .push(
          ...(await v.page.evaluate(timeSequential, { path: API_PATH, count: DPOP.perRound, token: null })),
        );
    signal.throwIfAborted();
  }
  const details: DpopDetails = { plain: summarize(times.get(plain)!), dpop: summarize(times.get(dpop)!) };
  const ms = (x: number): string => `${x.toFixed(2)} ms`;
  return {
    rows: [
      {
        id: '9',
        measure: `DPoP: time a proof adds per request, ${details.dpop.n} sequential GET /api/me, p50 (dpop − plain broker)`,
        value: details.dpop.p50 - details.plain.p50,
        target: { op: '<=', limit: 1, unit: 'ms' },
        detail: `p50 plain ${ms(details.plain.p50)}, dpop ${ms(details.dpop.p50)}; p99 plain ${ms(details.plain.p99)}, dpop ${ms(details.dpop.p99)}`,
      },
    ],
    details,
  };
}
