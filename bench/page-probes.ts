// Functions that run inside a page through `page.evaluate(fn, arg)`. Each must be
// self-contained: Playwright sends only its source text, so no imports or outer variables.
// Every loop is bounded by a count or a deadline.

/** What the server answers to a login (or a refresh) made by the page itself. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

/** Logs in from the page; on an uncontrolled page (or behind a pass-through worker) the page gets both tokens. */
export async function loginFromPage(): Promise<TokenPair> {
  const res = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'demo', password: 'demo' }),
  });
  if (!res.ok) throw new Error(`login answered ${res.status}`);
  return (await res.json()) as TokenPair;
}

/** Registers `/sw.js` and waits (bounded) until it controls this page. */
export async function registerWorker(): Promise<boolean> {
  await navigator.serviceWorker.register('/sw.js');
  const deadline = performance.now() + 10_000;
  while (!navigator.serviceWorker.controller && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  return navigator.serviceWorker.controller !== null;
}

export function isControlled(): boolean {
  return navigator.serviceWorker.controller !== null;
}

/** Sequential GETs; each sample is fetch until the body is read. Throws on a non-2xx answer. */
export async function timeSequential(arg: {
  path: string;
  count: number;
  token: string | null;
}): Promise<number[]> {
  const init: RequestInit = arg.token === null ? {} : { headers: { Authorization: `Bearer ${arg.token}` } };
  const times: number[] = [];
  for (let i = 0; i < arg.count; i++) {
    const start = performance.now();
    const res = await fetch(arg.path, init);
    await res.arrayBuffer();
    times.push(performance.now() - start);
    if (!res.ok) throw new Error(`${arg.path} answered ${res.status}`);
  }
  return times;
}

/** Wall time of `count` GETs started together. */
export async function timeParallel(arg: {
  path: string;
  count: number;
  token: string | null;
}): Promise<number> {
  const init: RequestInit = arg.token === null ? {} : { headers: { Authorization: `Bearer ${arg.token}` } };
  const start = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: arg.count }, () =>
      fetch(arg.path, init).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }),
    ),
  );
  const wall = performance.now() - start;
  const bad = statuses.find((s) => s < 200 || s >= 300);
  if (bad !== undefined) throw new Error(`${arg.path} answered ${bad}`);
  return wall;
}

/**
 * Sequential image loads (request destination `image`, which static routing may send past
 * the worker). A unique query per load keeps Blink's memory cache out of the way.
 */
export async function timeImages(arg: { path: string; count: number; tag: string }): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < arg.count; i++) {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve();
      img.onerror = () => reject(new Error(`${arg.path} failed to load`));
      img.src = `${arg.path}?b=${arg.tag}-${i}`;
    });
    times.push(performance.now() - start);
  }
  return times;
}

/** One GET: its duration and status. */
export async function timeOne(path: string): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  const res = await fetch(path);
  await res.arrayBuffer();
  return { ms: performance.now() - start, status: res.status };
}

/** `total` GETs, `concurrency` at a time; returns how many were not 2xx. */
export async function manyRequests(arg: {
  path: string;
  total: number;
  concurrency: number;
}): Promise<number> {
  let failed = 0;
  for (let sent = 0; sent < arg.total; sent += arg.concurrency) {
    const n = Math.min(arg.concurrency, arg.total - sent);
    const statuses = await Promise.all(
      Array.from({ length: n }, () =>
        fetch(arg.path).then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        }),
      ),
    );
    failed += statuses.filter((s) => s < 200 || s >= 300).length;
  }
  return failed;
}

/**
 * Round trips straight to the server (no worker on this origin): `count` rotating refreshes
 * and `count` authenticated GETs, alternated. Returns the last refresh token to continue with.
 */
export async function directRoundTrips(arg: {
  refreshToken: string;
  accessToken: string;
  count: number;
}): Promise<{ refresh: number[]; request: number[]; refreshToken: string }> {
  const refresh: number[] = [];
  const request: number[] = [];
  let token = arg.refreshToken;
  for (let i = 0; i < arg.count; i++) {
    let start = performance.now();
    const r = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: token }),
    });
    const body = (await r.json()) as { refresh_token?: string };
    refresh.push(performance.now() - start);
    if (!r.ok || typeof body.refresh_token !== 'string') throw new Error(`refresh answered ${r.status}`);
    token = body.refresh_token;
    start = performance.now();
    const m = await fetch('/api/me', { headers: { Authorization: `Bearer ${arg.accessToken}` } });
    await m.arrayBuffer();
    request.push(performance.now() - start);
    if (!m.ok) throw new Error(`/api/me answered ${m.status}`);
  }
  return { refresh, request, refreshToken: token };
}

/**
 * Calls one method of the controlling worker's API as the page client does (a Comlink call in
 * the broker's envelope, shared/protocol.ts `ENVELOPE_KEY`, with a port of its own) and
 * resolves with the answering worker instance. A message event reaches the worker whatever
 * static routing says: this starts a stopped worker and waits until it has loaded its session.
 * Throws on an error result. Bounded.
 */
export async function callWorker(arg: {
  method: string;
  args: unknown[];
  timeoutMs: number;
}): Promise<string> {
  const worker = navigator.serviceWorker.controller;
  if (!worker) throw new Error('the page is not controlled');
  const channel = new MessageChannel();
  const reply = new Promise<unknown>((resolve) => {
    channel.port1.onmessage = (event) => resolve(event.data);
  });
  worker.postMessage(
    { __swTokenBroker: 1, call: { id: 'bench', type: 'APPLY', path: [arg.method], argumentList: arg.args } },
    [channel.port2],
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer to ${arg.method}() within ${arg.timeoutMs} ms`)),
      arg.timeoutMs,
    );
  });
  try {
    const data = (await Promise.race([reply, late])) as {
      value?: { ok?: boolean; value?: { workerInstance?: unknown }; error?: { code?: string } };
    };
    const result = data.value;
    if (!result?.ok) throw new Error(`${arg.method}() failed: ${result?.error?.code ?? 'no result'}`);
    const instance = result.value?.workerInstance;
    if (typeof instance !== 'string') throw new Error(`${arg.method}() answered without a worker instance`);
    return instance;
  } finally {
    clearTimeout(timer);
    channel.port1.close();
  }
}

/**
 * Makes the worker believe its access token is valid for another minute, by rewriting the
 * stored session in the broker's IndexedDB (sw/store.ts: database `sw-token-broker`, store
 * `session`, key `current`). The server still rejects the token once its `exp` passed, which
 * is how a real 401 (server-side expiry, clock trouble) reaches the worker.
 */
export async function pretendTokenIsFresh(): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('sw-token-broker');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('session', 'readwrite');
      const store = tx.objectStore('session');
      const get = store.get('current');
      get.onsuccess = () => {
        const session = get.result as { expiresAt: number | null; receivedAt: number } | undefined;
        if (!session) return reject(new Error('no stored session'));
        session.receivedAt = Date.now();
        session.expiresAt = Date.now() + 60_000;
        store.put(session, 'current');
      };
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/**
 * The storm in one tab: bursts of `burst` calls to /api/me (half fetch, half axios, through the
 * demo page's own functions) with random pauses, until `durationMs` passed.
 */
export async function stormTab(arg: {
  durationMs: number;
  burst: number;
  maxPauseMs: number;
}): Promise<{ ok: number; failed: number; errors: string[] }> {
  const demo = (
    globalThis as unknown as { demo: Record<'meWithFetch' | 'meWithAxios', () => Promise<unknown>> }
  ).demo;
  const end = performance.now() + arg.durationMs;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  for (let round = 0; round < 10_000 && performance.now() < end; round++) {
    const results = await Promise.allSettled(
      Array.from({ length: arg.burst }, (_, i) => (i % 2 ? demo.meWithFetch() : demo.meWithAxios())),
    );
    for (const result of results) {
      if (result.status === 'fulfilled') ok++;
      else {
        failed++;
        if (errors.length < 5) errors.push(String((result.reason as Error)?.message ?? result.reason));
      }
    }
    await new Promise((r) => setTimeout(r, Math.random() * arg.maxPauseMs));
  }
  return { ok, failed, errors };
}
