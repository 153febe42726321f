// Scenario 6 (issue 6): requests with bodies hit an access token the server considers expired.
// The worker must refresh once and replay the request once, with a byte-identical body: POST
// and PUT with JSON, 256 KiB of random bytes and multipart form data (the server hashes what it
// received).
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { openDemo, sessionTheServerAlreadyExpired } from './harness/tabs.js';

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
