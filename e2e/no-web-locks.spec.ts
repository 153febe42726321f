// Issue 29 (2): where a worker has no Web Locks (older engines, some webviews), an old worker
// version still answering a busy tab and a new version waiting beside it (which the page client
// sends its calls to) must not both send the refresh token when it falls due. The worker under
// test is the built sw.js behind a test-only prelude that removes `navigator.locks` from the
// worker scope (pages keep theirs); the in-flight record on the stored session is the lease.
import { settledCounters } from './harness/server-counters.js';
import { loginThroughForm, openDemo } from './harness/tabs.js';
import { expect, test } from './fixtures.js';
import { CHROMIUM_ONLY } from './harness/worker-control.js';
import { startStorm, stopStorm, type StormOptions } from './harness/traffic.js';
import { findUpdate, registrationState, startUpdatableServer } from './update-helpers.js';

/** Four lanes of back-to-back plain `fetch('/api/me')`, no pause between requests. */
const BUSY: StormOptions = { burst: 4, pauseMs: 0, lanes: true, via: ['fetch'] };

test.skip(({ browserName }) => browserName !== 'chromium', CHROMIUM_ONLY.workerEvaluate);

const NO_WORKER_LOCKS = `
(() => {
  Object.defineProperty(WorkerNavigator.prototype, 'locks', { get: () => undefined, configurable: true });
})();
`;

test.setTimeout(90_000);

test('no Web Locks in the worker: two live versions racing at each due moment send one refresh per rotation', async ({
  context,
}) => {
  const { server, deploy, close } = await startUpdatableServer(
    { accessTtlSeconds: 3, reuseGraceSeconds: 0 },
    NO_WORKER_LOCKS,
  );
  try {
    const query = { panelPoll: 0, lead: 1, refreshTimeout: 5 };
    const busy = await openDemo(context, server, query);
    await loginThroughForm(busy);
    const caller = await openDemo(context, server, query);
    // The old version stays busy: both tabs keep requests in flight back to back, so the new
    // version waits beside it (it takes over only at a quiet moment, or after 60 s).
    await startStorm(busy, BUSY);
    await startStorm(caller, BUSY);
    await deploy(2);
    await findUpdate(caller);
    await expect
      .poll(() => registrationState(caller))
      .toEqual({ controller: 'activated', waiting: 'installed' });
    // A slow token endpoint widens every race: both versions see the token fall due while one
    // refresh is still out. The caller's getAccessToken() goes to the waiting version; the busy
    // tab's fetches to the old one.
    server.control.setRefreshLatency({ beforeMs: 400 });
    const rotations = server.control.counters().rotations;
    const calls = await caller.evaluate(async () => {
      const broker = (globalThis as unknown as { demo: { broker: { getAccessToken(): Promise<string> } } })
        .demo.broker;
      const outcomes: string[] = [];
      const end = Date.now() + 12_000;
      while (Date.now() < end) {
        outcomes.push(
          await broker.getAccessToken().then(
            () => 'ok',
            (error: { code?: string }) => String(error.code),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return outcomes;
    });
    // Both versions were live for the whole race, and neither had Web Locks.
    expect(await registrationState(caller)).toEqual({ controller: 'activated', waiting: 'installed' });
    const workers = context.serviceWorkers();
    expect(workers.length).toBeGreaterThanOrEqual(2);
    for (const worker of workers)
      expect(await worker.evaluate(() => navigator.locks === undefined)).toBe(true);
    const storms = [await stopStorm(busy), await stopStorm(caller)];
    // Traffic has stopped, but a proactive refresh may still be out (400 ms at the server).
    const counters = await settledCounters(server);
    console.log(
      `rotations ${counters.rotations - rotations}, refresh calls ${counters.refreshCalls}, getAccessToken ${calls.length} (${calls.filter((c) => c !== 'ok').length} not ok), busy requests ${storms.map((s) => s.ok + s.failed).join(' + ')} (${storms.map((s) => s.failed).join(' + ')} failed)`,
    );
    expect(counters.rotations - rotations, 'token lifetimes raced over').toBeGreaterThanOrEqual(3);
    expect(counters.refreshCalls).toBe(counters.rotations);
    expect(counters.reuseDetections).toBe(0);
    expect(counters.invalidGrants).toBe(0);
    expect(counters.logins).toBe(1);
    expect(Object.values(counters.families)).toEqual([expect.objectContaining({ revoked: false })]);
    expect(calls.filter((c) => c === 'no-session' || c === 'refresh-rejected')).toEqual([]);
    expect(storms.flatMap((s) => s.errors)).toEqual([]);
  } finally {
    await close();
  }
});
