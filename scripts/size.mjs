// Reports min+gzip sizes of what users ship: the page client (with workbox-window) and the
// worker (with idb), each against its budget in size-budget.json; exits 1 when one is over.
// `npm run size`; `--json` for machines; `--update-budget` to accept today's sizes on purpose.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUDGET_FILE = `${root}size-budget.json`;
/** The targets of issue 7 (bench rows 5a, 5b), in bytes; the budgets are what must not grow. */
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

/** min+gzip bytes each bundle may have: size-budget.json, written by `--update-budget`. */
export function readBudget() {
  return JSON.parse(readFileSync(BUDGET_FILE, 'utf8'));
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
  const budget = readBudget();
  const row = (name, code) => ({
    name,
    minified: Buffer.byteLength(code),
    gzip: gzipSync(code, { level: 9 }).byteLength,
    target: TARGETS[name],
    budget: budget[name],
  });
  return [row('page', page), row('worker', worker)];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measureSizes();
  const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`;
  if (process.argv.includes('--update-budget')) {
    const { $comment } = readBudget();
    const next = { $comment, ...Object.fromEntries(rows.map((r) => [r.name, r.gzip])) };
    writeFileSync(BUDGET_FILE, `${JSON.stringify(next, null, 2)}\n`);
    console.log(`size-budget.json: ${rows.map((r) => `${r.name} ${r.budget} → ${r.gzip} B`).join(', ')}`);
    process.exit(0);
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
  else {
    console.log('| bundle | min | min+gzip | budget | within budget | target (bench 5a, 5b) |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.name} | ${kib(r.minified)} | ${kib(r.gzip)} (${r.gzip} B) | ${r.budget} B | ${r.gzip <= r.budget ? 'yes' : 'NO'} | ≤ ${r.target / 1024} KiB: ${r.gzip <= r.target ? 'met' : 'missed'} |`,
      );
  }
  const over = rows.filter((r) => !(r.gzip <= r.budget));
  for (const r of over)
    console.error(
      `size: ${r.name} is ${r.gzip} B min+gzip, ${r.gzip - r.budget} B over its budget of ${r.budget} B (size-budget.json).`,
    );
  if (over.length > 0) {
    console.error(
      'Make it smaller, or, when the growth is deliberate (a feature), run `npm run size -- --update-budget` and commit size-budget.json saying what grew and why.',
    );
    process.exit(1);
  }
}
