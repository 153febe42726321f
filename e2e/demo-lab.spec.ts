import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { loginThroughForm, openDemo } from './harness/tabs.js';
import { demoStaticDir, expect, test } from './fixtures.js';

// The demo's lab (timeline, counters, race, fault toggles) exists only in demo mode: in the demo
// build, served by a server in demo mode. Outside it, nothing of it is reachable or even shipped.

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/** Strings only the lab's code carries. */
const LAB_MARKERS = ['/__demo/', 'sw-token-broker-demo.race', '/classic/auth/refresh'];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function markersIn(dir: string): Promise<string[]> {
  const found = new Set<string>();
  for (const file of await filesUnder(dir)) {
    if (file.endsWith('.map')) continue;
    const text = await readFile(file, 'utf8');
    for (const marker of LAB_MARKERS) if (text.includes(marker)) found.add(marker);
  }
  return [...found].sort();
}

test('a production build of the demo and the library ship none of the lab; the demo build does', async ({}, testInfo) => {
  const outDir = testInfo.outputPath('demo-production');
  await build({
    configFile: join(repoRoot, 'vite.config.ts'),
    mode: 'production',
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  expect(await markersIn(outDir)).toEqual([]);
  expect(await markersIn(demoStaticDir)).toEqual([...LAB_MARKERS].sort());
  // Nor does the library (its page client, worker and prebuilt sw.js).
  for (const dir of ['src', 'sw', 'shared', 'standalone'])
    expect(await markersIn(join(repoRoot, 'dist', dir)), `dist/${dir}`).toEqual([]);
});

test.describe('outside demo mode', () => {
  test('the server has no lab routes and the page loads none of it', async ({ context, server }) => {
    for (const [method, path] of [
      ['GET', '/__demo/stats'],
      ['POST', '/__demo/toggle'],
      ['POST', '/__demo/race'],
      ['POST', '/classic/auth/login'],
      ['GET', '/classic/me'],
    ] as const) {
      // Static files answer a POST to an unknown path with 405: either way, no route.
      const expected = method === 'POST' && path.startsWith('/classic/') ? [404, 405] : [404];
      expect(expected, `${method} ${path}`).toContain(
        (await fetch(`${server.url}${path}`, { method })).status,
      );
    }
    server.control.reset();
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(page.locator('#lab')).toHaveCount(0);
    expect(requested.filter((p) => p.includes('lab') || p.startsWith('/__demo/'))).toEqual([]);
    expect(server.control.counters().requests.filter((r) => r.path.startsWith('/__demo/'))).toEqual([]);
  });
});

test.describe('demo mode', () => {
  test.use({ serverOptions: { accessTtlSeconds: 60, demoMode: true } });

  test('fault toggles on the page reach the server; the timeline names triggers, tabs and outages', async ({
    context,
    server,
  }) => {
    const page = await openDemo(context, server, { panelPoll: 0, backoff: 0.2, attempts: 2 });
    await loginThroughForm(page);

    // Refresh answers 500 (switched with the keyboard): the explicit refresh fails, the session stays.
    await page.locator('#fault-refresh500').focus();
    await page.keyboard.press('Space');
    await expect.poll(async () => (await stats(server.url)).toggles.refresh500).toBe(true);
    await page.click('#refresh');
    await expect(page.locator('#log')).toContainText('refresh failed');
    await expect(page.locator('#timeline-text')).toContainText('broker: refresh, trigger unknown');
    await expect(page.locator('#timeline-text')).toContainText('→ fault');
    expect(server.control.counters().rotations).toBe(0);
    await page.locator('#fault-refresh500').uncheck();
    await expect.poll(async () => (await stats(server.url)).toggles.refresh500).toBe(false);

    await page.click('#refresh');
    await expect(page.locator('#generation')).toHaveText('2');
    await expect(page.locator('#timeline-text')).toContainText(
      'broker: refresh, trigger explicit, by the worker for tab 1 (token generation 1) → rotated',
    );
    await expect(page.locator('#count-broker-rotations')).toHaveText('1');

    await page.locator('#fault-slowRefresh').check();
    await expect.poll(async () => (await stats(server.url)).toggles.slowRefresh).toBe(true);
    await page.locator('#fault-slowRefresh').uncheck();

    // Outage: the server drops every request (the lab's own surface excepted) until switched off.
    await page.locator('#fault-outage').check();
    await expect(page.locator('#timeline-text')).toContainText('server outage (ongoing)');
    await page.click('#call-fetch');
    await expect(page.locator('#log')).toContainText('fetch /api/me failed');
    await page.locator('#fault-outage').uncheck();
    await expect(page.locator('#timeline-text')).toContainText(/server outage for \d+\.\d s/);
    await expect(page.locator('#timeline .period.outage')).toHaveCount(1);
    await page.click('#call-fetch');
    await expect(page.locator('#log')).toContainText('fetch /api/me: ok (user demo, generation 2)');

    // The browser offline for a moment: the tab reports the period when it is back.
    await context.setOffline(true);
    await expect(page.locator('#offline-banner')).toBeVisible();
    await context.setOffline(false);
    await expect(page.locator('#timeline-text')).toContainText(/tab 1 offline for \d+\.\d s/);
    await expect(page.locator('#timeline .period.offline')).toHaveCount(1);
  });
});

async function stats(url: string): Promise<{ toggles: Record<string, boolean> }> {
  return (await (await fetch(`${url}/__demo/stats`)).json()) as { toggles: Record<string, boolean> };
}
