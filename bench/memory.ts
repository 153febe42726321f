import type { Browser } from '@playwright/test';
import { attachToWorker, type WorkerSession } from './browser.js';
import type { Variant } from './origins.js';
import { manyRequests } from './page-probes.js';
import type { Row } from './report.js';
import { sleep } from './stats.js';

/** Issue 7 §6. */
export const MEMORY = { requests: 10_000, chunk: 1000, concurrency: 25, warmup: 200, limitMb: 1 } as const;

export interface MemoryDetails {
  beforeBytes: number;
  afterBytes: number;
  /** Requests of the 10,000 that the overhead rounds had already sent through the broker. */
  fromOverheadRounds: number;
}

/** The broker worker's used heap at some moment, with the session that measured it. */
export interface HeapBaseline {
  session: WorkerSession;
  bytes: number;
}

interface HeapUsage {
  usedSize: number;
  totalSize: number;
}

/** The worker's used V8 heap after full collections; settles first so no request is still in flight. */
async function heapAfterGc(session: WorkerSession): Promise<number> {
  await sleep(200);
  await session.send('HeapProfiler.collectGarbage');
  await session.send('HeapProfiler.collectGarbage');
  return (await session.send<HeapUsage>('Runtime.getHeapUsage')).usedSize;
}

/** Attaches to the broker's (warm) worker and records its heap; the caller closes the session. */
export async function heapBaseline(browser: Browser, broker: Variant): Promise<HeapBaseline> {
  const session = await attachToWorker(browser, `${broker.server.url}/sw.js`);
  try {
    return { session, bytes: await heapAfterGc(session) };
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * Heap growth of the broker's worker over 10,000 GET /api/me through it. With `start`, the
 * baseline was taken before the overhead rounds, whose `sent` requests count towards the
 * 10,000 (this saves a third of the phase); without, this warms up and starts afresh.
 */
export async function measureMemory(
  browser: Browser,
  broker: Variant,
  signal: AbortSignal,
  start?: { baseline: HeapBaseline; sent: number },
): Promise<{ rows: Row[]; details: MemoryDetails }> {
  const load = (total: number) =>
    broker.page.evaluate(manyRequests, { path: '/api/me', total, concurrency: MEMORY.concurrency });
  if (!start) await load(MEMORY.warmup);
  const baseline = start?.baseline ?? (await heapBaseline(browser, broker));
  const { session } = baseline;
  try {
    const sent = Math.min(start?.sent ?? 0, MEMORY.requests);
    for (let done = sent; done < MEMORY.requests; done += MEMORY.chunk) {
      const failed = await load(Math.min(MEMORY.chunk, MEMORY.requests - done));
      if (failed > 0) throw new Error(`${failed} requests failed`);
      signal.throwIfAborted();
    }
    const afterBytes = await heapAfterGc(session);
    // A restarted worker would have a fresh heap and make the difference meaningless.
    if (session.detached) throw new Error('the worker stopped during the memory run');
    const beforeBytes = baseline.bytes;
    const growth = afterBytes - beforeBytes;
    const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} kB`;
    return {
      rows: [
        {
          id: '6',
          measure: `memory: worker heap growth over ${MEMORY.requests.toLocaleString('en')} GET /api/me through the broker (after GC)`,
          value: growth / (1024 * 1024),
          target: { op: '<=', limit: MEMORY.limitMb, unit: 'MB' },
          detail: `used heap ${kb(beforeBytes)} → ${kb(afterBytes)} (${growth >= 0 ? '+' : ''}${kb(growth)}); ${sent} of the requests were the overhead rounds'`,
        },
      ],
      details: { beforeBytes, afterBytes, fromOverheadRounds: sent },
    };
  } finally {
    await session.close();
  }
}
