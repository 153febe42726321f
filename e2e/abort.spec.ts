// Issue 13 (3): abort signals are honoured at every wait. A request aborted while it waits for a
// refresh is never sent; one aborted while its 401 recovery runs is not replayed. The server
// counts what arrived. Chromium does not abort the worker's copy of a request when the page
// aborts a plain `fetch` (README, Troubleshooting), so these requests go through `broker.fetch`,
// which announces its aborts to the worker.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { loginThroughForm, openDemo } from './harness/tabs.js';

/** Starts a `broker.fetch` POST the page can abort later with `abortPost()`; resolves with how it ended. */
async function startAbortablePost(page: Page, url: string): Promise<void> {
  await page.evaluate((url) => {
    const g = globalThis as unknown as { __abort?: AbortController; __post?: Promise<string> };
    g.__abort = new AbortController();
    g.__post = (globalThis as unknown as { demo: { broker: { fetch: typeof fetch } } }).demo.broker
      .fetch(url, {
        method: 'POST',
        body: '{"pay":100}',
        headers: { 'Content-Type': 'application/json' },
        signal: g.__abort.signal,
      })
      .then(
        (r) => `status ${r.status}`,
        (e: Error) => e.name,
      );
  }, url);
}

function abortPost(page: Page): Promise<string> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { __abort: AbortController; __post: Promise<string> };
    g.__abort.abort();
    return g.__post;
  });
}

test.use({ serverOptions: { accessTtlSeconds: 3 } });

test('a POST aborted while it waits for a refresh never reaches the server', async ({ context, server }) => {
  const page = await openDemo(context, server, { lead: 0, panelPoll: 0 });
  server.control.injectRefreshFaults([{ kind: 'slow', ms: 3_000 }]);
  await loginThroughForm(page);
  server.control.configure({ accessTtlSeconds: 60 });
  // The refresh at expiry hangs; a POST sent now waits for it inside the worker.
  await expect.poll(() => server.control.counters().refreshCalls, { timeout: 10_000 }).toBe(1);
  await startAbortablePost(page, '/api/echo');
  expect(await abortPost(page)).toBe('AbortError');
  await expect.poll(() => server.control.counters().rotations, { timeout: 10_000 }).toBe(1);
  // Give a wrongly kept request every chance to go out after the refresh: then count.
  await expect.poll(async () => await page.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(200);
  expect(server.control.counters().requests.filter((r) => r.path === '/api/echo')).toEqual([]);
});

test('a POST aborted while its 401 recovery waits for the refresh is not replayed', async ({
  context,
  server,
}) => {
  const page = await openDemo(context, server, { lead: 0, panelPoll: 0 });
  server.control.injectRefreshFaults([{ kind: 'slow', ms: 4_000 }]);
  await loginThroughForm(page);
  server.control.configure({ accessTtlSeconds: 60 });
  // Held 4 s and checked at the end: its token (3 s) has expired by then → 401, while the refresh hangs.
  await startAbortablePost(page, '/api/slow?ms=4000&validate=end');
  await expect
    .poll(
      () =>
        server.control.counters().requests.filter((r) => r.path === '/api/slow' && r.status === 401).length,
      { timeout: 10_000 },
    )
    .toBe(1);
  expect(await abortPost(page)).toBe('AbortError');
  await expect.poll(() => server.control.counters().rotations, { timeout: 10_000 }).toBe(1);
  await expect.poll(async () => await page.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(200);
  expect(server.control.counters().requests.filter((r) => r.path === '/api/slow')).toHaveLength(1);
  expect(server.control.counters()).toMatchObject({ refreshCalls: 1, reuseDetections: 0 });
});
