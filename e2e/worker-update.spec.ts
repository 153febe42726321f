// Scenario 8 (issue 6): a new worker build is deployed while three tabs are busy and a slow
// refresh is in flight in the old worker. The standalone worker skips waiting, so the new version
// installs mid-refresh and takes over all tabs (Chromium hands over once the old worker has no
// event in flight). The session survives, the refresh token is sent once per rotation (the
// server's reuse grace is off, so a double send would be a reuse detection), nothing reloads.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { demoStaticDir, demoSwScript, expect, test as base, type TestServer } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { expectFailuresAccounted, logLength } from './harness/handover.js';
import { requestTrail } from './harness/server-counters.js';
import { readStoredSession } from './harness/storage.js';
import { pauseStorm, startBusy, stopStorm, stormCount } from './harness/traffic.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';
import { controllerChanges, countControllerChanges } from './harness/worker-control.js';

const TTL_SECONDS = 3;
const QUERY = { lead: 1, refreshTimeout: 5 };

/** A demo server whose /sw.js is a temp copy of the built worker that the test can rewrite. */
const test = base.extend<{ updatable: { server: TestServer; deploy(build: number): Promise<void> } }>({
  updatable: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-update-'));
    const script = join(dir, 'sw.js');
    await copyFile(demoSwScript, script);
    const original = await readFile(script, 'utf8');
    // A trailing comment is enough for the browser to see a byte-different script: a new version.
    const deploy = (build: number): Promise<void> => writeFile(script, `${original}\n// deploy ${build}\n`);
    await deploy(1);
    const { startServer } = await import('../demo/server/index.js');
    const server = await startServer({
      accessTtlSeconds: TTL_SECONDS,
      reuseGraceSeconds: 0,
      testControl: true,
      staticDir: demoStaticDir,
      swScript: script,
    });
    try {
      await use({ server, deploy });
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
});

test('a new worker build mid-refresh: session survives, one refresh per rotation, no reload', async ({
  context,
  updatable,
  browserName,
}) => {
  const { server, deploy } = updatable;
  const loads = new Map<Page, number>();
  // Loads of the app only: under Firefox, Playwright's initial about:blank fires `load` too.
  context.on('page', (page) =>
    page.on('load', () => {
      if (page.url().startsWith('http')) loads.set(page, (loads.get(page) ?? 0) + 1);
    }),
  );

  const tabs = [await openDemo(context, server, QUERY)];
  await loginThroughForm(tabs[0]!);
  tabs.push(await openDemo(context, server, QUERY), await openDemo(context, server, QUERY));
  const checker = await openDemo(context, server, QUERY);
  const instanceBefore = ((await brokerCall(tabs[0]!, 'status')) as { value: { workerInstance: string } })
    .value.workerInstance;
  for (const tab of [...tabs, checker]) {
    await recordEvents(tab);
    await countControllerChanges(tab);
  }
  for (const tab of tabs) await startBusy(tab);

  // Hold the next (proactive) refresh in the old worker after the server rotated, then deploy.
  const rotationsBefore = server.control.counters().rotations;
  server.control.setRefreshLatency({ afterMs: 1_500 });
  await expect.poll(() => server.control.counters().rotations, { timeout: 10_000 }).toBe(rotationsBefore + 1);
  const from = logLength(server);
  await deploy(2);
  // A fourth, idle tab looks for the update, as a navigation or an app's update check would.
  // (Called from a tab that fetches without pause, Chromium 156 at times never settles update().)
  // The new version asks to take over (skipWaiting) only once the old one reports a quiet moment:
  // Chromium arms a hand-over once per version (sw/skip-waiting.ts, docs/platform-facts.md §13).
  const updated = await checker.evaluate(async () => {
    const registration = (await navigator.serviceWorker.getRegistration())!;
    const found = new Promise<void>((resolve) =>
      registration.addEventListener('updatefound', () => resolve(), { once: true }),
    );
    await registration.update();
    await found;
    return true;
  });
  expect(updated).toBe(true);
  // The held refresh is still in flight in the old worker; later ones need not be slow.
  server.control.setRefreshLatency({});
  // Stay busy across the next rotation with the new version installed beside the old one.
  await expect
    .poll(() => server.control.counters().rotations, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(rotationsBefore + 2);
  const busyAtUpdate = await Promise.all(tabs.map(stormCount));
  // Chromium hands over only when the old worker has no event in flight; on a loaded machine the
  // busy tabs' requests may overlap without a quiet moment. A pause in traffic, as real apps have
  // (and as `update-stalled` asks for), lets the new version take over every tab.
  for (const tab of tabs) await pauseStorm(tab, true);
  for (const tab of [...tabs, checker])
    await expect.poll(() => controllerChanges(tab), { timeout: 20_000 }).toBe(1);
  const handOver = { from, to: logLength(server) };
  for (const tab of tabs) await pauseStorm(tab, false);

  // Stay busy across one more token lifetime under the new worker.
  const generationAfterUpdate = (await callMe(tabs[2]!, 'fetch')).generation;
  await expect
    .poll(async () => (await callMe(tabs[0]!, 'fetch')).generation, { timeout: 10_000 })
    .toBeGreaterThan(generationAfterUpdate);

  const busy = await Promise.all(tabs.map(stopStorm));
  for (const [i, result] of busy.entries()) {
    // Busy before, during and after the hand-over.
    expect(busyAtUpdate[i]).toBeGreaterThan(0);
    expect(result.ok + result.failed).toBeGreaterThan(busyAtUpdate[i]!);
  }
  // No failure but what a hand-over may cost in Firefox (a request sent around both workers).
  expectFailuresAccounted(busy, server, [handOver], browserName, {
    trail: `server trail ${requestTrail(server.control.counters())}`,
  });

  const counters = server.control.counters();
  expect(counters.reuseDetections).toBe(0);
  expect(counters.invalidGrants).toBe(0);
  expect(counters.refreshCalls).toBe(counters.rotations);
  expect(counters.logins).toBe(1);
  const [family] = Object.values(counters.families);
  expect(family).toMatchObject({ revoked: false, generation: counters.rotations + 1 });

  // The session survived the update, in the worker and on disk.
  const status = await brokerCall(tabs[0]!, 'status');
  expect(status).toMatchObject({ ok: true, value: { loggedIn: true, generation: counters.rotations + 1 } });
  expect((status as { value: { workerInstance: string } }).value.workerInstance).not.toBe(instanceBefore);
  expect(await readStoredSession(tabs[0]!)).toEqual({
    kind: 'session',
    generation: counters.rotations + 1,
    complete: true,
    inflight: false,
  });
  for (const tab of [...tabs, checker]) {
    expect(await recordedEvents(tab, 'logout')).toEqual([]);
    expect(await controllerChanges(tab)).toBe(1);
  }

  // No reload loop: each tab loaded once, no tab was opened or navigated by the update.
  expect(context.pages()).toHaveLength(4);
  for (const tab of [...tabs, checker]) expect(loads.get(tab)).toBe(1);
  expect(counters.requests.filter((r) => r.path === '/' || r.path === '/index.html')).toHaveLength(4);
});
