// Scenario 6 (issue 6): requests with bodies hit an access token the server considers expired.
// The worker must refresh once and replay the request once, with a byte-identical body: POST
// and PUT with JSON, 256 KiB of random bytes and multipart form data (the server hashes what it
// received).
import type { Page } from '@playwright/test';
import { expect, type TestServer, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { settledCounters } from './harness/server-counters.js';
import { loginThroughForm, openDemo, sessionTheServerAlreadyExpired } from './harness/tabs.js';

/** Lifetime of the access tokens handed to the worker; refreshed ones live long (see below). */
const SHORT_TTL_S = 0.5;

type Kind = 'json' | 'binary' | 'multipart';

interface Outcome {
  status: number;
  expected: { sha256: string; bytes: number; contentType: string | null };
  echoed: { method?: string; sha256?: string; bytes?: number; contentType?: string | null };
}

/** Sends one request to `/api/echo` from the page and hashes the exact body it sent. */
function sendBody(page: Page, method: string, kind: Kind): Promise<Outcome> {
  return page.evaluate(
    async ({ method, kind }) => {
      const random = (n: number): Uint8Array<ArrayBuffer> => {
        const bytes = new Uint8Array(n);
        for (let i = 0; i < n; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(n, i + 65536)));
        return bytes;
      };
      const sha256 = async (buffer: ArrayBuffer): Promise<string> =>
        [...new Uint8Array(await crypto.subtle.digest('SHA-256', buffer))]
          .map((b) => b.toString(16).padStart(2, '0'))
          .join('');
      let init: RequestInit;
      if (kind === 'json') {
        init = {
          body: JSON.stringify({ hello: 'wörld', list: [1, 2, 3], nested: { key: '🔑' } }),
          headers: { 'Content-Type': 'application/json' },
        };
      } else if (kind === 'binary') {
        init = { body: random(256 * 1024), headers: { 'Content-Type': 'application/octet-stream' } };
      } else {
        const form = new FormData();
        form.append('title', 'quarterly report');
        form.append('file', new Blob([random(64 * 1024)], { type: 'application/octet-stream' }), 'data.bin');
        init = { body: form };
      }
      const request = new Request('/api/echo', { method, ...init });
      // What the browser will send, multipart boundary included: hashed from a clone of the same body.
      const raw = await request.clone().arrayBuffer();
      const expected = {
        sha256: await sha256(raw),
        bytes: raw.byteLength,
        contentType: request.headers.get('content-type'),
      };
      const response = await fetch(request);
      return { status: response.status, expected, echoed: await response.json() };
    },
    { method, kind },
  );
}

for (const method of ['POST', 'PUT']) {
  test(`${method} with JSON, 256 KiB binary and multipart, each on an expired token: one refresh, replayed once, body intact`, async ({
    context,
    server,
  }) => {
    const page = await openDemo(context, server, { panelPoll: 0 });
    await recordEvents(page);

    for (const kind of ['json', 'binary', 'multipart'] as const) {
      await sessionTheServerAlreadyExpired(page, server, SHORT_TTL_S);
      server.control.reset();

      const outcome = await sendBody(page, method, kind);
      expect(outcome.status, kind).toBe(200);
      expect(outcome.echoed, kind).toEqual({ method, ...outcome.expected });

      const counters = server.control.counters();
      // Sent twice in all: rejected on the expired token, then replayed with the new one.
      expect(
        counters.requests
          .filter((r) => r.path === '/api/echo')
          .map((r) => ({ method: r.method, status: r.status, generation: r.generation })),
        kind,
      ).toEqual([
        { method, status: 401, generation: null },
        { method, status: 200, generation: 2 },
      ]);
      expect(
        {
          refreshCalls: counters.refreshCalls,
          rotations: counters.rotations,
          reuseDetections: counters.reuseDetections,
        },
        kind,
      ).toEqual({
        refreshCalls: 1,
        rotations: 1,
        reuseDetections: 0,
      });
    }
    expect(await recordedEvents(page, 'logout')).toEqual([]);
  });
}

// Issue 20: uploads are sent as the page gave them; a copy of at most `maxReplayBodyBytes` serves
// the replay. The server hashes every attempt's body (test route `/api/upload`), and `?reject=<id>`
// makes it answer the first attempt 401 after reading the body, as a server-side expiry would.

/** Posts a Blob of `size` random bytes to `/api/upload?reject=<id>`; returns the answer and the page's own hash. */
function uploadBlob(page: Page, size: number, reject: string) {
  return page.evaluate(
    async ({ size, reject }) => {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 65536)
        crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
      const hex = (buffer: ArrayBuffer) =>
        [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
      const sha256 = hex(await crypto.subtle.digest('SHA-256', bytes));
      // A Blob, as a file input gives it (its bytes are not copied into DevTools events).
      const blob = new Blob([bytes], { type: 'application/octet-stream' });
      const send = async () => {
        const res = await fetch(`/api/upload?reject=${reject}`, { method: 'POST', body: blob });
        return {
          status: res.status,
          marker: res.headers.get('x-token-broker-error'),
          body: await res.text(),
        };
      };
      const first = await send();
      // What an app does with a marked 401: send it again (the token is already refreshed).
      const retry = first.marker === 'body-not-replayed' ? await send() : null;
      return { sha256, first, retry };
    },
    { size, reject },
  );
}

function uploadsSeen(server: TestServer) {
  return server.control
    .counters()
    .requests.filter((r) => r.path === '/api/upload')
    .map((r) => ({ status: r.status, generation: r.generation, body: r.body }));
}

test('a 4 MiB Blob upload meeting a 401 is replayed once with the same bytes, both attempts with Content-Length', async ({
  context,
  server,
}) => {
  const page = await openDemo(context, server, { panelPoll: 0 });
  await loginThroughForm(page);
  server.control.reset();
  const size = 4 * 1024 * 1024;
  const outcome = await uploadBlob(page, size, 'replayed');
  expect(outcome.first.status).toBe(200);
  expect(outcome.retry).toBeNull();
  const body = { bytes: size, sha256: outcome.sha256, contentLength: size };
  expect(JSON.parse(outcome.first.body)).toEqual(body);
  expect(uploadsSeen(server)).toEqual([
    { status: 401, generation: 1, body },
    { status: 200, generation: 2, body },
  ]);
  const counters = await settledCounters(server);
  expect([counters.refreshCalls, counters.rotations, counters.reuseDetections]).toEqual([1, 1, 0]);
});

test('an upload over maxReplayBodyBytes is sent once: its 401 reaches the page marked, and the retry carries the refreshed token', async ({
  context,
  server,
}) => {
  const limit = 1024 * 1024;
  const page = await openDemo(context, server, {
    panelPoll: 0,
    worker: JSON.stringify({ maxReplayBodyBytes: limit }),
  });
  await loginThroughForm(page);
  server.control.reset();
  const size = 2 * limit;
  const outcome = await uploadBlob(page, size, 'over-limit');
  expect({ status: outcome.first.status, marker: outcome.first.marker }).toEqual({
    status: 401,
    marker: 'body-not-replayed',
  });
  // The server's own 401 body, untouched.
  expect(JSON.parse(outcome.first.body)).toEqual({ error: 'invalid_token' });
  expect(outcome.retry?.status).toBe(200);
  const body = { bytes: size, sha256: outcome.sha256, contentLength: size };
  // Exactly one attempt for the page's first fetch; the second is the page's own retry.
  expect(uploadsSeen(server)).toEqual([
    { status: 401, generation: 1, body },
    { status: 200, generation: 2, body },
  ]);
  const counters = await settledCounters(server);
  expect([counters.refreshCalls, counters.rotations, counters.reuseDetections]).toEqual([1, 1, 0]);
});
