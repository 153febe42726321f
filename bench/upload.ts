import type { Browser } from '@playwright/test';
import { openVariant, type BenchSite, type Closer, type Variant } from './origins.js';
import { loginFromPage } from './page-probes.js';
import type { Row } from './report.js';
import { median, rotate } from './stats.js';

// Issue 20's upload rows: a Blob posted from the page, timed in the page (performance.now around
// fetch until the answer is read), through the broker and with no worker, interleaved in rounds.
// Blob bodies only: with DevTools attached (Playwright), Chromium copies bytes-backed request
// bodies into its network events, blob-backed ones not (docs/platform-facts.md §16).

export const UPLOAD = {
  largeBytes: 50 * 1024 * 1024,
  /** Under the default `maxReplayBodyBytes` (8 MiB): the broker replays it itself. */
  smallBytes: 4 * 1024 * 1024,
  reps: 7,
  reps401: 5,
  limit: 1.5,
} as const;
const TTL_SECONDS = 3600;

// --- In-page functions: self-contained, Playwright sends only their source. ---

/** Keeps a Blob of `size` random bytes in the page for the uploads. */
async function makeBlob(size: number): Promise<void> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  (globalThis as unknown as { uploadBlob: Blob }).uploadBlob = new Blob([bytes]);
}

interface Timed {
  ms: number;
  status: number;
  /** The page sent the upload a second time (a marked 401, or a refresh by hand). */
  resent: boolean;
  tokens?: { access_token: string; refresh_token: string };
}

/**
 * One upload of the page's Blob to `/api/upload` (`?reject=` makes the server answer 401 once).
 * With `tokens` the page is its own broker: on a 401 it refreshes and sends again. Without, the
 * worker adds the token; a 401 marked `body-not-replayed` is sent again, as an app would.
 */
async function timeUpload(arg: {
  reject: string | null;
  tokens: { access_token: string; refresh_token: string } | null;
}): Promise<Timed> {
  const blob = (globalThis as unknown as { uploadBlob: Blob }).uploadBlob;
  const url = `/api/upload?hash=0${arg.reject === null ? '' : `&reject=${arg.reject}`}`;
  let tokens = arg.tokens;
  const send = async (): Promise<Response> => {
    const headers: Record<string, string> = tokens ? { Authorization: `Bearer ${tokens.access_token}` } : {};
    const res = await fetch(url, { method: 'POST', body: blob, headers });
    await res.arrayBuffer();
    return res;
  };
  const start = performance.now();
  let res = await send();
  let resent = false;
  if (res.status === 401 && tokens) {
    const r = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
    tokens = (await r.json()) as { access_token: string; refresh_token: string };
    res = await send();
    resent = true;
  } else if (res.status === 401 && res.headers.get('x-token-broker-error') === 'body-not-replayed') {
    res = await send();
    resent = true;
  }
  const ms = performance.now() - start;
  return { ms, status: res.status, resent, ...(tokens ? { tokens } : {}) };
}

// --- Runner ---

interface Sample {
  ms: number;
  resent: boolean;
  /** What the server saw for this one upload: status and Content-Length (null: chunked) per attempt. */
  attempts: string[];
}

type Case = 'plain' | 'over-limit-401' | 'replayed-401';

export interface UploadDetails {
  samples: Record<Case, { none: Sample[]; broker: Sample[] }>;
}

async function uploadOnce(variant: Variant, reject: string | null): Promise<Sample> {
  // A fresh login (the worker captures it) before each 401: the 401-triggered refresh budget is per login.
  if (reject !== null && variant.name === 'broker') await variant.page.evaluate(loginFromPage);
  variant.server.control.reset();
  const t = await variant.page.evaluate(timeUpload, { reject, tokens: variant.tokens });
  if (t.status !== 200) throw new Error(`${variant.name}: upload answered ${t.status}`);
  if (t.tokens && variant.tokens) Object.assign(variant.tokens, t.tokens);
  const attempts = variant.server.control
    .counters()
    .requests.filter((r) => r.path === '/api/upload')
    .map((r) => `${r.status}${r.body?.contentLength == null ? ' chunked' : ''}`);
  return { ms: t.ms, resent: t.resent, attempts };
}

/** `reps` rounds of one upload per variant, the order alternating. */
async function measureCase(
  variants: readonly Variant[],
  reps: number,
  reject: (rep: number) => string | null,
  signal: AbortSignal,
): Promise<{ none: Sample[]; broker: Sample[] }> {
  const out = { none: [] as Sample[], broker: [] as Sample[] };
  for (let rep = 0; rep < reps; rep++) {
    for (const v of rotate(variants, rep)) {
      signal.throwIfAborted();
      out[v.name === 'none' ? 'none' : 'broker'].push(await uploadOnce(v, reject(rep)));
    }
  }
  return out;
}

export async function measureUploads(
  browser: Browser,
  site: BenchSite,
  onClose: Closer,
  signal: AbortSignal,
): Promise<{ rows: Row[]; details: UploadDetails }> {
  const none = await openVariant(browser, site, 'none', TTL_SECONDS, onClose);
  const broker = await openVariant(browser, site, 'broker', TTL_SECONDS, onClose);
  for (const v of [none, broker]) await v.page.evaluate(makeBlob, UPLOAD.largeBytes);
  const samples = {} as UploadDetails['samples'];
  samples.plain = await measureCase([none, broker], UPLOAD.reps, () => null, signal);
  samples['over-limit-401'] = await measureCase([none, broker], UPLOAD.reps401, (r) => `large-${r}`, signal);
  for (const v of [none, broker]) await v.page.evaluate(makeBlob, UPLOAD.smallBytes);
  samples['replayed-401'] = await measureCase([none, broker], UPLOAD.reps401, (r) => `small-${r}`, signal);
  return { rows: uploadRows(samples), details: { samples } };
}

const MB = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
const LABELS: Record<Case, [id: string, measure: string]> = {
  plain: ['8a', `${MB(UPLOAD.largeBytes)} Blob upload, broker ÷ no worker (median)`],
  'over-limit-401': [
    '8b',
    `${MB(UPLOAD.largeBytes)} upload meeting a 401: broker (over maxReplayBodyBytes: marked 401, the page resends) ÷ no worker (401, refresh, resend by hand)`,
  ],
  'replayed-401': [
    '8c',
    `${MB(UPLOAD.smallBytes)} upload meeting a 401: broker (refresh + replay from its copy) ÷ no worker (401, refresh, resend by hand)`,
  ],
};

function uploadRows(samples: UploadDetails['samples']): Row[] {
  return (Object.keys(LABELS) as Case[]).map((c) => {
    const { none, broker } = samples[c];
    const a = median(none.map((s) => s.ms));
    const b = median(broker.map((s) => s.ms));
    const seen = [
      ...new Set(broker.map((s) => `${s.attempts.join(' → ')}${s.resent ? ' (page resent)' : ''}`)),
    ];
    return {
      id: LABELS[c][0],
      measure: LABELS[c][1],
      value: b / a,
      target: { op: '<=', limit: UPLOAD.limit, unit: '' },
      detail: `median ${b.toFixed(0)} ms vs ${a.toFixed(0)} ms (n=${broker.length} each, Blob, timed in the page under Playwright); server saw per broker upload: ${seen.join(' / ')}`,
    };
  });
}
