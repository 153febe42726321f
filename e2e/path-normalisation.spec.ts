// Issue 13 item 6: with `excludePaths: ['/api/x/public/']`, no spelling of an excluded path
// carries the token (a server may decode `%70`, collapse `//`, strip `;params`, decode `%2F`),
// nor do the broker's own endpoints; the positive controls do. Judged by what the demo server
// recorded for each probe, sent one at a time from a controlled page.
import type { Page } from '@playwright/test';
import { expect, test, type TestServer } from './fixtures.js';
import { loginThroughForm } from './harness/tabs.js';

const EXCLUDED = '/api/x/public/';

/** Spellings of paths under the excluded prefix, as the page sends them. */
const UNDER_EXCLUDED = [
  '/api/x/public/a',
  '/api/x//public/a',
  '/api//x/public/a',
  '/api/x/%70ublic/a',
  '/api/x/%70UBLIC/a',
  '/api/x/%2570ublic/a',
  '/api/x/public;x/a',
  '/api/x;y/public/a',
  '/api/x/y/..;/public/a',
  '/api/x%2Fpublic/a',
  '/api/x%2fpublic/a',
  '/api/x%5Cpublic/a',
  '/api/x/PUBLIC/a',
  '/api/x/public',
];

/** The broker's endpoints, spelled otherwise (GET: only whether a token was attached matters). */
const ENDPOINTS = ['/api/auth//refresh', '/api/auth/%72efresh', '/api/auth/refresh;x', '/api/auth/REVOKE'];

const CONTROLS = ['/api/x/publicity', '/api/x/other', '/api//me'];

/** Resets the counters, sends GET `path` from the page, waits for the server to log it, returns whether it had Authorization. */
async function carriedToken(page: Page, server: TestServer, path: string): Promise<boolean> {
  server.control.reset();
  await page.evaluate(
    (url) =>
      fetch(url)
        .then(
          (r) => r.arrayBuffer(),
          () => undefined,
        )
        .then(() => undefined),
    path,
  );
  const logged = () => server.control.counters().requests.filter((r) => r.path.startsWith('/api/'));
  await expect.poll(() => logged().length, { message: path }).toBeGreaterThan(0);
  return logged().some((r) => r.authorization);
}

test('no spelling of an excluded path or a broker endpoint carries the token; the controls do', async ({
  context,
  server,
}) => {
  test.setTimeout(120_000);
  const page = await context.newPage();
  await page.goto(
    `${server.url}/?worker=${encodeURIComponent(JSON.stringify({ excludePaths: [EXCLUDED] }))}`,
  );
  await page.waitForSelector('body[data-ready="true"]');
  await loginThroughForm(page);

  const seen: Record<string, boolean> = {};
  for (const path of [...UNDER_EXCLUDED, ...ENDPOINTS, ...CONTROLS])
    seen[path] = await carriedToken(page, server, path);
  const expected = Object.fromEntries([
    ...UNDER_EXCLUDED.map((p) => [p, false]),
    ...ENDPOINTS.map((p) => [p, false]),
    ...CONTROLS.map((p) => [p, true]),
  ]);
  test.info().annotations.push({ type: 'path-matrix', description: JSON.stringify(seen) });
  expect(seen).toEqual(expected);
});
