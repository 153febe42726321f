// Reports min+gzip sizes of what users ship: the page client (with comlink and
// workbox-window) and the worker (with idb). `npm run size`; `--json` for machines.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
export const TARGETS = { page: 6 * 1024, worker: 8 * 1024 };

async function bundle(entry, format) {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      write: false,
      minify: true,
      lib: { entry: `${root}${entry}`, formats: [format], name: 'x', fileName: () => 'out.js' },
    },
  });
  const chunks = (Array.isArray(out) ? out : [out])
    .flatMap((o) => o.output)
    .filter((c) => c.type === 'chunk');
  // Vite leaves whitespace in ES-format library builds; minify like an app's bundler would.
  const { code } = await minify(chunks.map((c) => c.code).join('\n'), {
    module: format === 'es',
    compress: { passes: 2 },
    mangle: true,
  });
  return code ?? '';
}

export async function measureSizes() {
  const page = await bundle('src/index.ts', 'es');
  const worker =
    (
      await minify(readFileSync(`${root}dist/standalone/sw.js`, 'utf8'), {
        compress: { passes: 2 },
        mangle: true,
      })
    ).code ?? '';
  const row = (name, code) => ({
    name,
    minified: Buffer.byteLength(code),
    gzip: gzipSync(code, { level: 9 }).byteLength,
    target: TARGETS[name],
  });
  return [row('page', page), row('worker', worker)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measureSizes();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
  else {
    console.log('| bundle | min | min+gzip | target | ok |\n|---|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.name} | ${(r.minified / 1024).toFixed(2)} KiB | ${(r.gzip / 1024).toFixed(2)} KiB | ≤ ${r.target / 1024} KiB | ${r.gzip <= r.target ? 'yes' : 'NO'} |`,
      );
  }
}
