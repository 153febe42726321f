// Scenario 9 (issue 6): while logged in, requests to another origin, to a look-alike host and
// to same-origin paths outside the API prefix never carry Authorization. Judged by what the
// servers recorded, probe by probe (reset, send, wait for arrival, inspect).
// Also an in-scope request that the server redirects (test-only `/api/redirect`): Authorization
// is dropped on a hop to another origin and kept on a same-origin hop.
import type { Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { callMe, loginThroughForm, openDemo } from './harness/tabs.js';

type Probe = { url: string; init?: RequestInit };

/** Sends one request from the page; the answer does not matter (CORS may hide it). */
function send(page: Page, probe: Probe): Promise<void> {
  return page.evaluate(
    ({ url, init }) =>
      fetch(url, init)
        .then(
          (r) => r.arrayBuffer(),
          () => undefined,
        )
        .then(() => undefined),
    probe,
  );
}

/** Resets `target`, sends the probe, waits until `target` logged it, and returns whether it had Authorization. */
async function sentWithAuthorization(
  page: Page,
  target: TestServer,
  probe: Probe,
  path: string,
): Promise<boolean> {
  target.control.reset();
  await send(page, probe);
  await expect
    .poll(() => target.control.counters().requests.filter((r) => r.path === path).length, {
      message: probe.url,
    })
    .toBeGreaterThan(0);
  return target.control
    .counters()
    .requests.filter((r) => r.path === path)
    .some((r) => r.authorization);
}

/** `asks`: a preflight's Access-Control-Request-Headers, the headers the browser would send. */
type Hop = { method: string; authorization: boolean; status: number; asks?: string };

const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;

/** The hops `server` logged for `path`: method, whether Authorization was present, status. */
function hopsAt(server: TestServer, path: string): Hop[] {
  return server.control
    .counters()
    .requests.filter((r) => r.path === path)
    .map(({ method, authorization, status, preflightHeaders }) => ({
      method,
      authorization,
      status,
      ...(preflightHeaders === undefined ? {} : { asks: preflightHeaders }),
    }));
}

/** The test-only `/api/redirect` URL that answers `status` with `Location: to` (demo/server/routes-api.ts). */
function redirectUrl(to: string, status: number): string {
  return `/api/redirect?${new URLSearchParams({ to, status: String(status) }).toString()}`;
}

/**
 * Resets both servers, has the page send `init` to `/api/redirect` (in scope, so the worker
 * attaches the token) answering `status` towards `to`, waits until `target` logged the
 * redirect's destination, and returns both hops as the servers saw them.
 */
async function throughRedirect(
  page: Page,
  origin: TestServer,
  target: TestServer,
  to: string,
  status: number,
  init?: RequestInit,
): Promise<{ first: Hop[]; second: Hop[]; preflights: number; asked: string[] }> {
  const path = new URL(to).pathname;
  origin.control.reset();
  target.control.reset();
  await send(page, { url: redirectUrl(to, status), init });
  // Firefox sends a CORS preflight (OPTIONS, never with Authorization) ahead of some redirected
  // requests and Chromium does not (docs/platform-facts.md §15): the second hop is the request
  // itself; preflights stay visible in the annotations.
  const actual = (): Hop[] => hopsAt(target, path).filter((h) => h.method !== 'OPTIONS');
  const preflight = (): Hop[] => hopsAt(target, path).filter((h) => h.method === 'OPTIONS');
  await expect
    .poll(() => actual().length + preflight().length, {
      message: `${status} ${init?.method ?? 'GET'} -> ${to}`,
    })
    .toBeGreaterThan(0);
  const preflights = preflight();
  // A preflight neither carries Authorization nor asks to send it (Access-Control-Request-Headers).
  expect(preflights.filter((h) => h.authorization || /\bauthorization\b/.test(h.asks ?? ''))).toEqual([]);
  return {
    first: hopsAt(origin, '/api/redirect'),
    second: actual(),
    preflights: preflights.length,
    asked: [...new Set(preflights.map((h) => h.asks ?? 'none'))],
  };
}

/**
 * The redirected request itself: exactly `expected` (never with Authorization). After a preflight
 * the foreign server refused (Firefox, docs/platform-facts.md §15), the request may not be sent.
 */
function expectSecondHop(hops: { second: Hop[]; preflights: number }, expected: Hop[], label: string): void {
  if (hops.preflights === 0) expect(hops.second, label).toEqual(expected);
  else expect([[], expected], `${label}, after ${hops.preflights} preflight(s)`).toContainEqual(hops.second);
}

/** Records one observation in the test's annotations (reports/playwright.json). */
function observe(
  label: string,
  status: number,
  hops: { first: Hop[]; second: Hop[]; preflights?: number; asked?: string[] },
): void {
  const show = (h: Hop[]): string =>
    h.map((x) => `${x.method} auth=${x.authorization} ${x.status}`).join(', ') || 'none';
  test.info().annotations.push({
    type: 'redirect',
    description: `${label} ${status}: first hop [${show(hops.first)}] -> second hop [${show(hops.second)}]${hops.preflights ? ` after ${hops.preflights} preflight(s) asking for headers: ${hops.asked?.join(', ')}` : ''}`,
  });
}

test.describe('no token leaks', () => {
  test('the positive control: a same-origin /api/ request does carry the token', async ({
    context,
    server,
  }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    expect(await sentWithAuthorization(page, server, { url: '/api/me' }, '/api/me')).toBe(true);
    expect(
      await sentWithAuthorization(
        page,
        server,
        { url: '/api/echo', init: { method: 'POST', body: 'x' } },
        '/api/echo',
      ),
    ).toBe(true);
  });

  test('another origin gets no Authorization (cors, no-cors, POST, credentials)', async ({
    context,
    server,
    foreignServer,
  }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    const foreign = foreignServer.url;
    const probes: Array<[Probe, string]> = [
      [{ url: `${foreign}/api/me` }, '/api/me'],
      [{ url: `${foreign}/api/me`, init: { mode: 'no-cors' } }, '/api/me'],
      [{ url: `${foreign}/api/me`, init: { credentials: 'include' } }, '/api/me'],
      [
        {
          url: `${foreign}/api/echo`,
          init: { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } },
        },
        '/api/echo',
      ],
      [
        {
          url: `${foreign}/api/auth/refresh`,
          init: { method: 'POST', body: '{}', headers: { 'Content-Type': 'text/plain' } },
        },
        '/api/auth/refresh',
      ],
    ];
    for (const [probe, path] of probes) {
      expect(
        await sentWithAuthorization(page, foreignServer, probe, path),
        `${probe.url} ${JSON.stringify(probe.init ?? {})}`,
      ).toBe(false);
    }
    // An <img> (no-cors, destination image) to the foreign API.
    foreignServer.control.reset();
    await page.evaluate((url) => {
      const img = document.createElement('img');
      img.src = url;
      document.body.append(img);
    }, `${foreign}/api/me?img`);
    await expect.poll(() => foreignServer.control.counters().requests.length).toBeGreaterThan(0);
    expect(foreignServer.control.counters().requestsWithAuth).toBe(0);
    // Still logged in, so the token was there to leak.
    expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo' });
  });

  test('a look-alike host (localhost vs 127.0.0.1, same server) gets no Authorization', async ({
    context,
    server,
  }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    const lookAlike = `http://localhost:${server.port}`;
    expect(new URL(lookAlike).origin).not.toBe(server.url);
    for (const init of [undefined, { mode: 'no-cors' as const }, { credentials: 'include' as const }]) {
      expect(
        await sentWithAuthorization(page, server, { url: `${lookAlike}/api/me`, init }, '/api/me'),
        JSON.stringify(init ?? {}),
      ).toBe(false);
    }
    expect(
      await sentWithAuthorization(
        page,
        server,
        {
          url: `${lookAlike}/api/echo`,
          init: { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } },
        },
        '/api/echo',
      ),
    ).toBe(false);
    // The same path on the real origin does get it: the probe can tell the difference.
    expect(await sentWithAuthorization(page, server, { url: `${server.url}/api/me` }, '/api/me')).toBe(true);
  });

  test('same-origin paths outside /api/ and the auth endpoints get no Authorization', async ({
    context,
    server,
  }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    const probes: Array<[Probe, string]> = [
      [{ url: '/apix' }, '/apix'],
      [{ url: '/apix/me' }, '/apix/me'],
      [{ url: '/api-docs' }, '/api-docs'],
      [{ url: '/api-docs/me' }, '/api-docs/me'],
      [{ url: '/API/me' }, '/API/me'],
      [{ url: '/x/api/me' }, '/x/api/me'],
      [{ url: '/icon.svg' }, '/icon.svg'],
      [{ url: '/manifest.webmanifest' }, '/manifest.webmanifest'],
      [{ url: '/index.html' }, '/index.html'],
      [{ url: '/' }, '/'],
      [{ url: '/sw.js' }, '/sw.js'],
      // The broker's own endpoints: a page calling them directly gets no bearer token either.
      [
        {
          url: '/api/auth/refresh',
          init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' },
        },
        '/api/auth/refresh',
      ],
      [
        {
          url: '/api/auth/revoke',
          init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' },
        },
        '/api/auth/revoke',
      ],
    ];
    for (const [probe, path] of probes) {
      expect(await sentWithAuthorization(page, server, probe, path), probe.url).toBe(false);
    }

    // A navigation and the static files it loads: the reload's whole request log is token-free.
    server.control.reset();
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    const loaded = server.control.counters().requests.filter((r) => !r.path.startsWith('/api/'));
    expect(loaded.map((r) => r.path)).toEqual(expect.arrayContaining(['/']));
    expect(loaded.length).toBeGreaterThan(2);
    expect(loaded.filter((r) => r.authorization)).toEqual([]);

    // Still logged in: the session was there to leak all along.
    expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo' });
  });

  test('an in-scope request redirected to another origin or a look-alike host loses Authorization; a same-origin redirect keeps it', async ({
    context,
    server,
    foreignServer,
  }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    const body = 'redirected body';
    const post = { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } };
    // What the first hop must look like each time: the worker attached the token (positive control).
    const firstHop = (method: string, status: number): Hop[] => [{ method, authorization: true, status }];

    // Another origin (another port): GET, and POST with a body (307/308 keep method and body,
    // 301/302/303 turn a POST into a GET). The foreign server must see exactly the one
    // redirected request, without Authorization; a kept header would instead have forced a
    // CORS preflight (OPTIONS) first.
    const foreign = foreignServer.url;
    for (const status of REDIRECT_STATUSES) {
      const hops = await throughRedirect(page, server, foreignServer, `${foreign}/api/me`, status);
      observe('GET -> foreign', status, hops);
      expect(hops.first, `GET ${status}`).toEqual(firstHop('GET', status));
      expectSecondHop(hops, [{ method: 'GET', authorization: false, status: 401 }], `GET ${status}`);
      expect(foreignServer.control.counters().requestsWithAuth, `GET ${status}`).toBe(0);
    }
    for (const status of REDIRECT_STATUSES) {
      const hops = await throughRedirect(page, server, foreignServer, `${foreign}/api/echo`, status, post);
      observe('POST -> foreign', status, hops);
      const method = status === 307 || status === 308 ? 'POST' : 'GET';
      expect(hops.first, `POST ${status}`).toEqual(firstHop('POST', status));
      expectSecondHop(
        hops,
        [{ method, authorization: false, status: method === 'POST' ? 401 : 405 }],
        `POST ${status}`,
      );
      expect(foreignServer.control.counters().requestsWithAuth, `POST ${status}`).toBe(0);
    }

    // A look-alike host: the same server under `localhost`, i.e. another origin.
    const lookAlike = `http://localhost:${server.port}`;
    expect(new URL(lookAlike).origin).not.toBe(server.url);
    for (const status of REDIRECT_STATUSES) {
      const hops = await throughRedirect(page, server, server, `${lookAlike}/api/me`, status);
      observe('GET -> look-alike', status, hops);
      expect(hops.first, `look-alike GET ${status}`).toEqual(firstHop('GET', status));
      expectSecondHop(
        hops,
        [{ method: 'GET', authorization: false, status: 401 }],
        `look-alike GET ${status}`,
      );
    }
    const lookAlikePost = await throughRedirect(page, server, server, `${lookAlike}/api/echo`, 307, post);
    observe('POST -> look-alike', 307, lookAlikePost);
    expect(lookAlikePost.first).toEqual(firstHop('POST', 307));
    expectSecondHop(
      lookAlikePost,
      [{ method: 'POST', authorization: false, status: 401 }],
      'look-alike POST 307',
    );

    // Same origin: the redirect is followed inside the worker's fetch, and Fetch strips
    // Authorization only on a cross-origin hop, so the second hop keeps the token.
    for (const status of REDIRECT_STATUSES) {
      server.control.reset();
      const answer = await page.evaluate(
        async (url) => {
          const res = await fetch(url);
          return {
            status: res.status,
            redirected: res.redirected,
            url: res.url,
            json: (await res.json()) as unknown,
          };
        },
        redirectUrl(`${server.url}/api/me`, status),
      );
      const hops = { first: hopsAt(server, '/api/redirect'), second: hopsAt(server, '/api/me') };
      observe('GET -> same origin', status, hops);
      expect(answer, `same-origin GET ${status}`).toMatchObject({
        status: 200,
        redirected: true,
        url: `${server.url}/api/me`,
        json: { user: 'demo' },
      });
      expect(hops.first, `same-origin GET ${status}`).toEqual(firstHop('GET', status));
      expect(hops.second, `same-origin GET ${status}`).toEqual([
        { method: 'GET', authorization: true, status: 200 },
      ]);
    }
    for (const status of [307, 308]) {
      server.control.reset();
      const answer = await page.evaluate(
        async ({ url, init }) => {
          const res = await fetch(url, init);
          return { status: res.status, redirected: res.redirected, json: (await res.json()) as unknown };
        },
        { url: redirectUrl(`${server.url}/api/echo`, status), init: post },
      );
      const hops = { first: hopsAt(server, '/api/redirect'), second: hopsAt(server, '/api/echo') };
      observe('POST -> same origin', status, hops);
      // The body survived the redirect too: the worker buffered it, so 307/308 can resend it.
      expect(answer, `same-origin POST ${status}`).toMatchObject({
        status: 200,
        redirected: true,
        json: { method: 'POST', bytes: body.length, contentType: 'text/plain' },
      });
      expect(hops.first, `same-origin POST ${status}`).toEqual(firstHop('POST', status));
      expect(hops.second, `same-origin POST ${status}`).toEqual([
        { method: 'POST', authorization: true, status: 200 },
      ]);
    }

    // Still logged in: the token was there to leak all along.
    expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo' });
  });
});
