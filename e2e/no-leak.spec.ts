// Scenario 9 (issue 6): while logged in, requests to another origin, to a look-alike host and
// to same-origin paths outside the API prefix never carry Authorization. Judged by what the
// servers recorded, probe by probe (reset, send, wait for arrival, inspect).
import type { Page } from '@playwright/test';
import { callMe, loginThroughForm, openDemo } from './demo.js';
import { expect, test, type TestServer } from './fixtures.js';

type Probe = { url: string; init?: RequestInit };

/** Sends one request from the page; the answer does not matter (CORS may hide it). */
function send(page: Page, probe: Probe): Promise<void> {
  return page.evaluate(({ url, init }) => fetch(url, init).then((r) => r.arrayBuffer(), () => undefined).then(() => undefined), probe);
}

/** Resets `target`, sends the probe, waits until `target` logged it, and returns whether it had Authorization. */
async function sentWithAuthorization(page: Page, target: TestServer, probe: Probe, path: string): Promise<boolean> {
  target.control.reset();
  await send(page, probe);
  await expect.poll(() => target.control.counters().requests.filter((r) => r.path === path).length, { message: probe.url }).toBeGreaterThan(0);
  return target.control.counters().requests.filter((r) => r.path === path).some((r) => r.authorization);
}

test.describe('no token leaks', () => {
  test('the positive control: a same-origin /api/ request does carry the token', async ({ context, server }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    expect(await sentWithAuthorization(page, server, { url: '/api/me' }, '/api/me')).toBe(true);
    expect(await sentWithAuthorization(page, server, { url: '/api/echo', init: { method: 'POST', body: 'x' } }, '/api/echo')).toBe(true);
  });

  test('another origin gets no Authorization (cors, no-cors, POST, credentials)', async ({ context, server, foreignServer }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    const foreign = foreignServer.url;
    const probes: Array<[Probe, string]> = [
      [{ url: `${foreign}/api/me` }, '/api/me'],
      [{ url: `${foreign}/api/me`, init: { mode: 'no-cors' } }, '/api/me'],
      [{ url: `${foreign}/api/me`, init: { credentials: 'include' } }, '/api/me'],
      [{ url: `${foreign}/api/echo`, init: { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } } }, '/api/echo'],
      [{ url: `${foreign}/api/auth/refresh`, init: { method: 'POST', body: '{}', headers: { 'Content-Type': 'text/plain' } } }, '/api/auth/refresh'],
    ];
    for (const [probe, path] of probes) {
      expect(await sentWithAuthorization(page, foreignServer, probe, path), `${probe.url} ${JSON.stringify(probe.init ?? {})}`).toBe(false);
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

  test('a look-alike host (localhost vs 127.0.0.1, same server) gets no Authorization', async ({ context, server }) => {
    const page = await openDemo(context, server);
    await loginThroughForm(page);
    const lookAlike = `http://localhost:${server.port}`;
    expect(new URL(lookAlike).origin).not.toBe(server.url);
    for (const init of [undefined, { mode: 'no-cors' as const }, { credentials: 'include' as const }]) {
      expect(await sentWithAuthorization(page, server, { url: `${lookAlike}/api/me`, init }, '/api/me'), JSON.stringify(init ?? {})).toBe(false);
    }
    expect(await sentWithAuthorization(page, server, { url: `${lookAlike}/api/echo`, init: { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } } }, '/api/echo')).toBe(false);
    // The same path on the real origin does get it: the probe can tell the difference.
    expect(await sentWithAuthorization(page, server, { url: `${server.url}/api/me` }, '/api/me')).toBe(true);
  });

  test('same-origin paths outside /api/ and the auth endpoints get no Authorization', async ({ context, server }) => {
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
      [{ url: '/api/auth/refresh', init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' } }, '/api/auth/refresh'],
      [{ url: '/api/auth/revoke', init: { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' } }, '/api/auth/revoke'],
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
});
