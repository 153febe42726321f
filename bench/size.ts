import type { Row } from './report.js';

/** A row of scripts/size.mjs `measureSizes()`; sizes in bytes. */
interface SizeRow {
  name: 'page' | 'worker';
  minified: number;
  gzip: number;
  target: number;
}

const LABELS: Record<SizeRow['name'], string> = {
  page: 'size: page client (with comlink, workbox-window), min+gzip',
  worker: 'size: worker dist/standalone/sw.js (with idb), min+gzip',
};

/** Issue 7 §5, from the same function as `npm run size`. */
export async function measureSize(): Promise<{ rows: Row[]; details: SizeRow[] }> {
  // scripts/size.mjs ships no type declarations; a computed specifier keeps tsc from asking for them.
  const specifier = new URL('../scripts/size.mjs', import.meta.url).href;
  const { measureSizes } = (await import(specifier)) as { measureSizes(): Promise<SizeRow[]> };
  const sizes = await measureSizes();
  const rows = sizes.map(
    (s, i): Row => ({
      id: `5${'ab'[i] ?? i}`,
      measure: LABELS[s.name] ?? s.name,
      value: s.gzip / 1024,
      target: { op: '<=', limit: s.target / 1024, unit: 'KiB' },
      detail: `${(s.minified / 1024).toFixed(2)} KiB minified, ${s.gzip} B gzip`,
    }),
  );
  return { rows, details: sizes };
}
