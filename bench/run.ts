// `npm run bench`: issue 7's and issue 20's figures in real Chromium against the demo server, every
// comparison measured side by side in this one run. Prints a markdown table and writes
// bench/results/latest.json. A missed target is reported, never a failure; a measurement
// that could not run is (exit code 1).
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Browser } from '@playwright/test';
import { launchBrowser } from './browser.js';
import { heapBaseline, measureMemory, type HeapBaseline } from './memory.js';
import { openVariant, prepareSite, type BenchSite, type Closer, type Variant } from './origins.js';
import { measureOverhead, warmUp } from './overhead.js';
import { measureDpop } from './dpop.js';
import { measureAtLatency } from './latency.js';
import { measureRecovery } from './recovery.js';
import { measureStorm } from './refresh.js';
import { errorRow, markdownTable, verdict, writeResults, type Row } from './report.js';
import { measureSize } from './size.js';
import { measureUploads } from './upload.js';
import { withTimeout } from './stats.js';

const RESULTS = fileURLToPath(new URL('results/latest.json', import.meta.url));
/** Token lifetime on the overhead origins: long enough that no refresh runs while measuring. */
const STEADY_TTL_SECONDS = 3600;

const started = Date.now();
const rows: Row[] = [];
const details: Record<string, unknown> = {};
const closers: Array<() => Promise<unknown>> = [];
const onClose: Closer = (close) => closers.push(close);
let failed = false;

type Work = (signal: AbortSignal) => Promise<{ rows: Row[]; details: unknown }>;

/** `npm run bench -- --only <phase>` runs one phase (and what it needs), for working on it. */
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;

/**
 * Runs one phase under a time limit; on failure its rows become error rows and the run goes on.
 * A phase past its limit is aborted (its loops check the signal) so it cannot disturb the next.
 */
async function phase(
  name: string,
  limitMs: number,
  placeholder: [id: string, measure: string],
  work: Work,
): Promise<void> {
  if (only !== undefined && name !== only) return;
  const t0 = Date.now();
  const controller = new AbortController();
  process.stderr.write(`bench: ${name}…`);
  try {
    const result = await withTimeout(work(controller.signal), limitMs, name).finally(() =>
      controller.abort(),
    );
    rows.push(...result.rows);
    details[name] = result.details;
    process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(
      ` failed\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    rows.push(errorRow(placeholder[0], placeholder[1], error));
  }
}

let browser: Browser | undefined;
let site: BenchSite | undefined;
const environment: Record<string, unknown> = {
  node: process.version,
  cpus: cpus().length,
  loadavgAtStart: loadavg(),
};
try {
  await phase('size', 60_000, ['5', 'size'], measureSize);

  browser = await launchBrowser();
  environment.chromium = browser.version();
  site = prepareSite();
  const b = browser;
  const s = site;

  const variants: Variant[] = [];
  // The heap baseline is taken after the warm-up, so the overhead rounds' requests through the
  // broker count towards the memory phase's 10,000.
  let memoryStart: { baseline: HeapBaseline; sent: number } | undefined;
  await phase('overhead', 600_000, ['1–2', 'per-request overhead, unhandled requests'], async (signal) => {
    for (const name of ['none', 'pass-through', 'broker', 'own-worker'] as const)
      variants.push(await openVariant(b, s, name, STEADY_TTL_SECONDS, onClose));
    await warmUp(variants);
    const baseline = await heapBaseline(b, variants[2]!);
    onClose(() => baseline.session.close());
    const result = await measureOverhead(variants, signal);
    memoryStart = { baseline, sent: result.details.apiRequestsPerVariant };
    return result;
  });
  const [none, , broker] = variants;
  await phase('memory', 120_000, ['6', 'memory'], (signal) => {
    if (!broker) throw new Error('no broker origin (setup failed)');
    return measureMemory(b, broker, signal, memoryStart);
  });
  await phase('recovery', 180_000, ['4', '401 recovery latency'], async (signal) => {
    // With `--only recovery` the overhead phase opened no origins: the denominator gets its own.
    const direct = only === 'recovery' ? await openVariant(b, s, 'none', STEADY_TTL_SECONDS, onClose) : none;
    if (!direct) throw new Error('no direct origin (setup failed)');
    return measureRecovery(b, s, direct, onClose, signal);
  });
  await phase('dpop', 120_000, ['9', 'DPoP per-request overhead'], (signal) =>
    measureDpop(b, s, onClose, STEADY_TTL_SECONDS, signal),
  );
  await phase('storm', 60_000, ['3', 'refresh efficiency'], () => measureStorm(b, s, onClose));
  await phase('latency', 240_000, ['7', 'at realistic latency'], (signal) =>
    measureAtLatency(b, s, onClose, signal),
  );
  await phase('upload', 300_000, ['8', 'uploads'], (signal) => measureUploads(b, s, onClose, signal));
} finally {
  for (const close of closers.reverse()) await withTimeout(close(), 10_000, 'cleanup').catch(() => undefined);
  await browser?.close().catch(() => undefined);
  site?.remove();
}

rows.sort((a, b) => a.id.localeCompare(b.id));
environment.loadavgAtEnd = loadavg();
const runtimeSeconds = Math.round((Date.now() - started) / 1000);
console.log(`\n${markdownTable(rows)}\n`);
const missed = rows.filter((row) => verdict(row) !== 'met').map((row) => row.id);
console.log(
  `${rows.length - missed.length}/${rows.length} targets met${missed.length ? ` (not met: ${missed.join(', ')})` : ''}; ` +
    `${runtimeSeconds} s in Chromium ${String(environment.chromium ?? '?')}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}.`,
);
writeResults(RESULTS, rows, { date: new Date().toISOString(), runtimeSeconds, environment, details });
console.log(`Wrote ${RESULTS}`);
process.exitCode = failed ? 1 : 0;
