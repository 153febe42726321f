// Issue 13 item 5: the standalone worker refuses every bad config through registerTokenBroker
// with `invalid-config` naming the field, and stores nothing: neither on a first visit nor over
// a good config with a live session. The config reaches the worker unchecked through the demo's
// `?worker=<JSON>` and numeric parameters (demo/config.ts).
import type { Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { callMe, loginThroughForm, openDemo } from './harness/tabs.js';

/** [query string, the field the refusal must name] */
const BAD: Array<[query: string, field: string]> = [
  ['refreshTimeout=0', 'refreshTimeoutSeconds'],
  ['refreshTimeout=NaN', 'refreshTimeoutSeconds'],
  ['requestWait=Infinity', 'requestWaitSeconds'],
  ['lead=-1', 'refreshLeadSeconds'],
  ['attempts=0', 'maxRefreshAttempts'],
  [`worker=${encodeURIComponent('{"tokenEndpoint":""}')}`, 'tokenEndpoint'],
  [`worker=${encodeURIComponent('{"allowedOrigins":["*"]}')}`, 'allowedOrigins[0]'],
  [`worker=${encodeURIComponent('{"allowedOrigins":["null"]}')}`, 'allowedOrigins[0]'],
  [`worker=${encodeURIComponent('{"allowedOrigins":["api.example.com"]}')}`, 'allowedOrigins[0]'],
  [`worker=${encodeURIComponent('{"allowedOrigins":["https://api.example.com/v1"]}')}`, 'allowedOrigins[0]'],
  [`worker=${encodeURIComponent('{"excludePaths":["public/"]}')}`, 'excludePaths[0]'],
  [`worker=${encodeURIComponent('{"apiPaths":["/api//x/"]}')}`, 'apiPaths[0]'],
  [`worker=${encodeURIComponent('{"revealAccessToken":"no"}')}`, 'revealAccessToken'],
  [`worker=${encodeURIComponent('{"respectExistingAuthorization":1}')}`, 'respectExistingAuthorization'],
  [`worker=${encodeURIComponent('{"loginEndpoint":null}')}`, 'loginEndpoint'],
  [`worker=${encodeURIComponent('{"backoff":{"initialSeconds":-1}}')}`, 'backoff.initialSeconds'],
  [`worker=${encodeURIComponent('{"apiPath":["/api/"]}')}`, 'apiPath'],
];

/** The demo page's event log. */
function log(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('#log li')].map((li) => li.textContent ?? ''));
}

/** Opens the demo with `query` and waits for its startup to fail; returns the logged line. */
async function refused(page: Page, server: TestServer, query: string): Promise<string> {
  await page.goto(`${server.url}/?${query}`);
  await expect
    .poll(async () => (await log(page)).find((l) => l.includes('startup failed')), { message: query })
    .toBeDefined();
  return (await log(page)).find((l) => l.includes('startup failed'))!;
}

/** The config the worker persisted, read from its IndexedDB in the page (null when none). */
function storedConfig(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    // Open only a database the worker created: opening a missing one would create it without stores.
    if (!(await indexedDB.databases()).some((d) => d.name === 'sw-token-broker')) return null;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('sw-token-broker');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    try {
      if (!db.objectStoreNames.contains('config')) return null;
      return await new Promise<unknown>((resolve, reject) => {
        const get = db.transaction('config').objectStore('config').get('current');
        get.onsuccess = () => resolve(get.result ?? null);
        get.onerror = () => reject(get.error);
      });
    } finally {
      db.close();
    }
  });
}

test('a first visit with a bad config: registration rejects with invalid-config naming the field, nothing is stored', async ({
  context,
  server,
}) => {
  test.setTimeout(120_000);
  const page = await context.newPage();
  for (const [query, field] of BAD) {
    const line = await refused(page, server, query);
    expect(line, query).toContain('startup failed (invalid-config)');
    expect(line, query).toContain(field);
    expect(await storedConfig(page), query).toBeNull();
  }
  expect(await page.evaluate(() => document.body.dataset.ready)).toBeUndefined();
  // The worker was never configured, so nothing went out with a token or to the token endpoint.
  expect(server.control.counters()).toMatchObject({ refreshCalls: 0, logins: 0, requestsWithAuth: 0 });
});

// One token lifetime must outlast the whole loop of refused configs (over a minute in a slow
// engine on a loaded machine), or the session moves on to generation 2 on its own.
test.describe(() => {
  test.use({ serverOptions: { accessTtlSeconds: 600 } });

  test('a bad config over a good one: refused, the stored config and the session stay as they were', async ({
    context,
    server,
  }) => {
    test.setTimeout(120_000);
    const good = await openDemo(context, server);
    await loginThroughForm(good);
    const before = await storedConfig(good);
    expect(before).toMatchObject({ tokenEndpoint: '/api/auth/refresh', loginEndpoint: '/api/auth/login' });

    const bad = await context.newPage();
    for (const [query, field] of BAD) {
      const line = await refused(bad, server, query);
      expect(line, query).toMatch(
        new RegExp(`startup failed \\(invalid-config\\): .*${field.replace(/[.[\]]/g, '\\$&')}`),
      );
    }
    expect(await storedConfig(good)).toEqual(before);

    server.control.reset();
    expect(await callMe(good, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
    const me = server.control.counters().requests.filter((r) => r.path === '/api/me');
    expect(me).toEqual([expect.objectContaining({ authorization: true, generation: 1, status: 200 })]);
    expect(server.control.counters()).toMatchObject({ refreshCalls: 0, logins: 0, unauthorized: 0 });
  });
});
