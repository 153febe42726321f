// Scenario 10 (issue 6): close every tab (the whole browser), start it again on the same
// profile: the session comes back from IndexedDB without a login.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, BrowserType, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { readStoredSession } from './harness/storage.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';
import { CHROMIUM_ONLY } from './harness/worker-control.js';

/** A persistent context on `dir` with the project's browser, flags and device settings. */
function launch(browserType: BrowserType, dir: string, testInfo: TestInfo): Promise<BrowserContext> {
  const { launchOptions, channel, viewport, userAgent, deviceScaleFactor, isMobile, hasTouch } =
    testInfo.project.use;
  return browserType.launchPersistentContext(dir, {
    ...launchOptions,
    ...(channel === undefined ? {} : { channel }),
    ...(viewport === undefined ? {} : { viewport }),
    ...(userAgent === undefined ? {} : { userAgent }),
    ...(deviceScaleFactor === undefined ? {} : { deviceScaleFactor }),
    ...(isMobile === undefined ? {} : { isMobile }),
    ...(hasTouch === undefined ? {} : { hasTouch }),
  });
}

/** Opens the demo in a persistent context; closes every context and deletes the profile afterwards. */
const persistent = test.extend<{ profileDir: string; open: () => Promise<BrowserContext> }>({
  profileDir: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-profile-'));
    try {
      await use(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  open: async ({ profileDir, playwright, browserName }, use, testInfo) => {
    const contexts: BrowserContext[] = [];
    await use(async () => {
      const context = await launch(playwright[browserName], profileDir, testInfo);
      contexts.push(context);
      return context;
    });
    for (const context of contexts) await context.close().catch(() => undefined);
  },
});

persistent.describe('restart', () => {
  persistent.skip(({ browserName }) => browserName !== 'chromium', CHROMIUM_ONLY.persistentContext);
  persistent(
    'after closing every tab and the browser, the session is restored without logging in',
    async ({ open, server }) => {
      const first = await open();
      const tabA = await openDemo(first, server);
      await loginThroughForm(tabA);
      const tabB = await openDemo(first, server);
      expect(await callMe(tabB, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
      for (const page of first.pages()) await page.close();
      await first.close();

      const second = await open();
      const page = await openDemo(second, server);
      expect(await readStoredSession(page)).toEqual({
        kind: 'session',
        generation: 1,
        complete: true,
        inflight: false,
      });
      expect(await brokerCall(page, 'status')).toMatchObject({
        ok: true,
        value: { loggedIn: true, generation: 1 },
      });
      expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });
      expect(await callMe(page, 'axios')).toMatchObject({ user: 'demo', generation: 1 });
      await expect(page.locator('#state')).toHaveText('logged in');

      const counters = server.control.counters();
      expect(counters.logins).toBe(1);
      expect(counters.refreshCalls).toBe(0);
      expect(counters.unauthorized).toBe(0);
      const me = counters.requests.filter((r) => r.path === '/api/me');
      expect(me.every((r) => r.authorization && r.status === 200)).toBe(true);
    },
  );

  persistent.describe('with a short access token', () => {
    persistent.use({ serverOptions: { accessTtlSeconds: 2 } });

    persistent(
      'a session whose access token expired while the browser was closed refreshes once, without a login',
      async ({ open, server }) => {
        const first = await open();
        // lead 0: nothing refreshes before the browser closes.
        const tab = await openDemo(first, server, { lead: 0 });
        await loginThroughForm(tab);
        const loggedInAt = Date.now();
        await first.close();

        // Time is the subject here: the access token must have expired while no browser ran.
        await expect.poll(() => Date.now() - loggedInAt, { timeout: 5_000 }).toBeGreaterThan(2_500);

        const second = await open();
        const page = await openDemo(second, server, { lead: 0 });
        expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 2 });
        const counters = server.control.counters();
        expect(counters).toMatchObject({
          logins: 1,
          refreshCalls: 1,
          rotations: 1,
          reuseDetections: 0,
          invalidGrants: 0,
        });
      },
    );
  });
});
