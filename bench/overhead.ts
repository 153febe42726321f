import type { Variant, VariantName } from './origins.js';
import { timeImages, timeParallel, timeSequential } from './page-probes.js';
import type { Row } from './report.js';
import { median, rotate, summarize, type Summary } from './stats.js';

/** Issue 7 §1 and §2. The counts are per variant. */
export const OVERHEAD = {
  rounds: 8,
  sequentialPerRound: 125, // 1000 sequential requests per variant
  parallel: 500,
  parallelEvery: 1, // a 500-request batch in every round: bursts vary by ±20%, so take 8
  imagesPerRound: 25,
  nonApiPerRound: 25,
  warmup: 40,
} as const;

const API_PATH = '/api/me';
/** A static asset, loaded as an image: destination `image`, which static routing may keep away from the worker. */
const STATIC_ASSET = '/icon.svg';
/** A same-origin path outside `apiPaths`, fetched by script (destination ''): it reaches the fetch handler. */
const NON_API_PATH = '/manifest.webmanifest';

type Kind = 'sequential' | 'images' | 'nonApi';
const KINDS: readonly Kind[] = ['sequential', 'images', 'nonApi'];

export interface OverheadDetails {
  sequential: Record<VariantName, Summary>;
  parallelWallMs: Record<VariantName, number[]>;
  images: Record<VariantName, Summary>;
  nonApi: Record<VariantName, Summary>;
  /** GET /api/me requests each variant sent in the rounds (not the warm-up). */
  apiRequestsPerVariant: number;
}

function tokenOf(variant: Variant): string | null {
  return variant.tokens?.access_token ?? null;
}

async function sample(variant: Variant, kind: Kind, count: number, tag: string): Promise<number[]> {
  const { page } = variant;
  if (kind === 'sequential')
    return page.evaluate(timeSequential, { path: API_PATH, count, token: tokenOf(variant) });
  if (kind === 'images') return page.evaluate(timeImages, { path: STATIC_ASSET, count, tag });
  return page.evaluate(timeSequential, { path: NON_API_PATH, count, token: null });
}

/** Discarded requests of every kind per variant: JIT, connection pool, the worker's first session load. */
export async function warmUp(variants: readonly Variant[]): Promise<void> {
  for (const v of variants) {
    const own = v.name === 'own-worker'; // measured on unhandled requests only
    for (const kind of KINDS)
      if (!own || kind !== 'sequential') await sample(v, kind, OVERHEAD.warmup, 'warm');
    if (!own) await v.page.evaluate(timeParallel, { path: API_PATH, count: 100, token: tokenOf(v) });
  }
}

/**
 * Runs every variant through every kind of request in rounds, the variant order rotating each
 * round, so a noisy moment on the machine lands on all variants alike. Call `warmUp` first.
 */
export async function measureOverhead(
  variants: readonly Variant[],
  signal: AbortSignal,
): Promise<{ rows: Row[]; details: OverheadDetails }> {
  const times: Record<Kind, Record<string, number[]>> = { sequential: {}, images: {}, nonApi: {} };
  // The own worker is measured on unhandled requests only (rows 2a–2c); API overhead is the standalone's.
  const api = variants.filter((v) => v.name !== 'own-worker');
  const walls: Record<string, number[]> = {};
  for (const v of variants) {
    for (const kind of KINDS) times[kind][v.name] = [];
    walls[v.name] = [];
  }

  for (let round = 0; round < OVERHEAD.rounds; round++) {
    const order = rotate(variants, round);
    const apiOrder = rotate(api, round);
    for (const v of apiOrder)
      times.sequential[v.name]!.push(
        ...(await sample(v, 'sequential', OVERHEAD.sequentialPerRound, `${round}`)),
      );
    signal.throwIfAborted();
    if (round % OVERHEAD.parallelEvery === 0) {
      for (const v of apiOrder)
        walls[v.name]!.push(
          await v.page.evaluate(timeParallel, {
            path: API_PATH,
            count: OVERHEAD.parallel,
            token: tokenOf(v),
          }),
        );
      signal.throwIfAborted();
    }
    for (const v of order)
      times.images[v.name]!.push(...(await sample(v, 'images', OVERHEAD.imagesPerRound, `${round}`)));
    for (const v of order)
      times.nonApi[v.name]!.push(...(await sample(v, 'nonApi', OVERHEAD.nonApiPerRound, `${round}`)));
    signal.throwIfAborted();
  }

  const summaries = (kind: Kind) =>
    Object.fromEntries(
      (kind === 'sequential' ? api : variants).map((v) => [v.name, summarize(times[kind][v.name]!)]),
    ) as Record<VariantName, Summary>;
  const details: OverheadDetails = {
    sequential: summaries('sequential'),
    parallelWallMs: walls as Record<VariantName, number[]>,
    images: summaries('images'),
    nonApi: summaries('nonApi'),
    apiRequestsPerVariant:
      times.sequential[variants[0]!.name]!.length + walls[variants[0]!.name]!.length * OVERHEAD.parallel,
  };
  return { rows: overheadRows(details), details };
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;

function overheadRows(d: OverheadDetails): Row[] {
  const seq = d.sequential;
  const wall = (name: VariantName): number => median(d.parallelWallMs[name]);
  const three = (s: Record<VariantName, Summary>, key: 'p50' | 'p99'): string =>
    `${key} none ${ms(s.none[key])}, pass-through ${ms(s['pass-through'][key])}, broker ${ms(s.broker[key])}${s['own-worker'] ? `, own worker ${ms(s['own-worker'][key])}` : ''}`;
  const ratio = { op: '<=', unit: '' } as const;
  return [
    {
      id: '1a',
      measure: `overhead, ${seq.broker.n} sequential GET /api/me: broker ÷ pass-through, p50`,
      value: seq.broker.p50 / seq['pass-through'].p50,
      target: { ...ratio, limit: 1.05 },
      detail: `${three(seq, 'p50')}; broker ÷ none ${(seq.broker.p50 / seq.none.p50).toFixed(2)}`,
    },
    {
      id: '1b',
      measure: 'same requests: broker ÷ pass-through, p99',
      value: seq.broker.p99 / seq['pass-through'].p99,
      target: { ...ratio, limit: 1.1 },
      detail: three(seq, 'p99'),
    },
    {
      id: '1c',
      measure: `overhead, ${OVERHEAD.parallel} parallel GET /api/me: broker ÷ pass-through, wall time`,
      value: wall('broker') / wall('pass-through'),
      target: { ...ratio, limit: 1.1 },
      detail: `median of ${d.parallelWallMs.broker.length} rounds: none ${ms(wall('none'))}, pass-through ${ms(wall('pass-through'))}, broker ${ms(wall('broker'))}`,
    },
    {
      id: '2a',
      measure: `not handled: static asset (${STATIC_ASSET} as <img>), broker ÷ no worker, p50`,
      value: d.images.broker.p50 / d.images.none.p50,
      target: { ...ratio, limit: 1.02 },
      detail: `${three(d.images, 'p50')}; n=${d.images.broker.n} each`,
    },
    {
      id: '2b',
      measure: `not handled: non-API path (fetch ${NON_API_PATH}), standalone sw.js ÷ no worker, p50`,
      value: d.nonApi.broker.p50 / d.nonApi.none.p50,
      target: { ...ratio, limit: 1.02 },
      detail: `${three(d.nonApi, 'p50')}; n=${d.nonApi.broker.n} each`,
    },
    {
      id: '2c',
      measure: `not handled: non-API path (fetch ${NON_API_PATH}), own worker (bypassNonApiRequests) ÷ no worker, p50`,
      value: d.nonApi['own-worker'].p50 / d.nonApi.none.p50,
      target: { ...ratio, limit: 1.02 },
      detail: `${three(d.nonApi, 'p50')}; n=${d.nonApi['own-worker'].n} each`,
    },
  ];
}
