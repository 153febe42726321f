// Worker scripts for the static-routing tests and the bench: the prebuilt standalone `sw.js`
// and an app's own worker (installTokenBroker with its config), each optionally behind a
// recorder of the fetch events the worker sees. Kept free of the `test` object (bench uses it).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const standaloneSw = join(repoRoot, 'dist', 'standalone', 'sw.js');

/**
 * The demo's config (demo/config.ts) built into the worker, as an app that owns its worker
 * writes it, with every request outside it routed past the worker.
 */
const OWN_WORKER_ENTRY = `import { installTokenBroker } from ${JSON.stringify(join(repoRoot, 'sw', 'index.ts'))};
installTokenBroker(
  { tokenEndpoint: '/api/auth/refresh', loginEndpoint: '/api/auth/login', revocationEndpoint: '/api/auth/revoke', apiPaths: ['/api/'] },
  { skipWaiting: true, bypassStaticRequests: true, bypassNonApiRequests: true },
);
`;

/**
 * Runs before the broker's script: records the URL of every fetch event, and of each event the
 * worker answered (`respondWith`) or kept itself alive for (`waitUntil`). A page reads them by
 * posting `'fetch-events?'` with a port (every browser), a test with `worker.evaluate` too, and
 * clears them by posting `'fetch-events-reset'` with a port (answered once cleared).
 */
export const FETCH_EVENT_RECORDER = `self.__fetchEvents = { seen: [], responded: [], extended: [] };
(() => {
  const rec = self.__fetchEvents;
  const respondWith = FetchEvent.prototype.respondWith;
  FetchEvent.prototype.respondWith = function (r) { rec.responded.push(this.request.url); return respondWith.call(this, r); };
  const waitUntil = ExtendableEvent.prototype.waitUntil;
  ExtendableEvent.prototype.waitUntil = function (p) { if (this instanceof FetchEvent) rec.extended.push(this.request.url); return waitUntil.call(this, p); };
  self.addEventListener('fetch', (e) => rec.seen.push(e.request.url));
  self.addEventListener('message', (e) => {
    if (e.data === 'fetch-events?') e.ports[0].postMessage(rec);
    if (e.data === 'fetch-events-reset') {
      for (const list of Object.values(rec)) list.length = 0;
      e.ports[0].postMessage('reset');
    }
  });
})();
`;

export type WorkerMode = 'standalone' | 'own-worker';

/** Bundles the own worker (classic script, like the standalone build) with Vite. */
async function buildOwnWorker(): Promise<string> {
  const { build } = await import('vite');
  const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-own-worker-'));
  try {
    const entry = join(dir, 'own-sw.js');
    await writeFile(entry, OWN_WORKER_ENTRY);
    const out = await build({
      configFile: false,
      logLevel: 'warn',
      define: { 'process.env.NODE_ENV': JSON.stringify('production') },
      build: {
        write: false,
        minify: true,
        lib: { entry, formats: ['iife'], name: 'ownWorker', fileName: () => 'sw.js' },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]) as Array<{
      output: Array<{ type: string; code?: string }>;
    }>;
    return outputs.flatMap((o) => o.output).find((c) => c.type === 'chunk')?.code ?? '';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the worker for `mode` (with the recorder in front when `record`) to a temporary file,
 * for the demo server's `swScript`, which serves it at `/sw.js` whatever the query.
 */
export async function writeWorker(
  mode: WorkerMode,
  record: boolean,
): Promise<{ path: string; remove(): Promise<void> }> {
  const code = mode === 'standalone' ? await readFile(standaloneSw, 'utf8') : await buildOwnWorker();
  const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-worker-'));
  const path = join(dir, 'sw.js');
  await writeFile(path, `${record ? FETCH_EVENT_RECORDER : ''}${code}`);
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}
