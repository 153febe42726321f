import { describe, expect, it } from 'vitest';
import type { RunningServer } from '../../demo/server/index.js';
import { start } from './helpers.js';

/** `/api/redirect` with the given query, without following the answer. */
function redirect(
  server: RunningServer,
  query: Record<string, string>,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${server.url}/api/redirect?${new URLSearchParams(query).toString()}`, {
    redirect: 'manual',
    ...init,
  });
}

describe('GET /api/redirect (test control only)', () => {
  it('answers each redirect status with Location: to (302 by default), and is counted like any API request', async () => {
    const server = await start({ testControl: true });
    const to = 'http://127.0.0.1:1/api/me?x=1';
    const byDefault = await redirect(server, { to });
    expect(byDefault.status).toBe(302);
    expect(byDefault.headers.get('location')).toBe(to);
    for (const status of [301, 302, 303, 307, 308]) {
      const res = await redirect(server, { to, status: String(status) });
      expect(res.status, String(status)).toBe(status);
      expect(res.headers.get('location')).toBe(to);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const https = await redirect(server, { to: 'https://example.test/api/me' });
    expect(https.headers.get('location')).toBe('https://example.test/api/me');
    expect(server.control.counters().requests.map((r) => [r.method, r.path, r.status])).toEqual(
      Array.from({ length: 7 }, (_, i) => ['GET', '/api/redirect', [302, 301, 302, 303, 307, 308, 302][i]]),
    );
  });

  it('also redirects POST (its body is read and discarded), and a followed same-origin redirect arrives', async () => {
    const server = await start({ testControl: true });
    const res = await redirect(
      server,
      { to: `${server.url}/api/echo`, status: '307' },
      { method: 'POST', body: 'x'.repeat(10_000) },
    );
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(`${server.url}/api/echo`);
    const followed = await fetch(
      `${server.url}/api/redirect?to=${encodeURIComponent(`${server.url}/api/public/ping`)}`,
    );
    expect(followed.status).toBe(200);
    expect(followed.redirected).toBe(true);
    expect(await followed.json()).toEqual({ ok: true });
  });

  it('answers 400 to a missing, invalid, relative or non-http(s) `to`, and to a bad status', async () => {
    const server = await start({ testControl: true });
    const badTargets: Array<Record<string, string>> = [
      {},
      { to: '' },
      { to: 'not a url' },
      { to: '/api/me' },
      { to: '//evil.test/api/me' },
      { to: 'javascript:alert(1)' },
      { to: 'data:text/plain,hi' },
      { to: 'file:///etc/passwd' },
      { to: 'ftp://127.0.0.1/x' },
    ];
    for (const query of badTargets) {
      const res = await redirect(server, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    }
    for (const status of ['200', '304', '300', '3020', 'abc', '', '302.0']) {
      const res = await redirect(server, { to: 'http://127.0.0.1:1/', status });
      expect(res.status, status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('does not exist when testControl is off: a plain 404 like any unknown API path', async () => {
    const server = await start();
    const get = await redirect(server, { to: 'http://127.0.0.1:1/api/me' });
    expect(get.status).toBe(404);
    expect(get.headers.get('location')).toBeNull();
    expect(await get.json()).toEqual({ error: 'not_found' });
    const post = await redirect(
      server,
      { to: 'http://127.0.0.1:1/api/me', status: '307' },
      { method: 'POST', body: 'x' },
    );
    expect(post.status).toBe(404);
    expect(post.headers.get('location')).toBeNull();
    // Not even a 400 for bad input: the route is simply absent.
    expect((await redirect(server, {})).status).toBe(404);
  });
});
