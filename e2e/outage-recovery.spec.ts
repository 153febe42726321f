// Issue 13 (8): after a server-side outage the browser never noticed (a dead upstream: it still
// believes it is online), the first request succeeds within about a second of the server being
// back, however long the outage. The outage spans the token's expiry, so recovery needs a refresh.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { loginThroughForm, openDemo } from './harness/tabs.js';

test.use({ serverOptions: { accessTtlSeconds: 3 } });

test('the first request succeeds within ~1 s of the server coming back; no logout', async ({
  context,
  server,
}) => {
  const tab = await openDemo(context, server, { lead: 1, panelPoll: 0 });
  await recordEvents(tab);
  await loginThroughForm(tab);
  // A request every 200 ms, as a polling screen would; each outcome stamped with the page clock.
  await tab.evaluate(() => {
    const g = globalThis as unknown as { __polls: Array<{ at: number; ok: boolean }>; __stop: boolean };
    g.__polls = [];
    g.__stop = false;
    void (async () => {
      while (!g.__stop) {
        const ok = await fetch('/api/me').then(
          (r) => r.ok,
          () => false,
        );
        g.__polls.push({ at: Date.now(), ok });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  });
  server.control.setOffline(true);
  // Time is the subject: an 8 s outage spans the proactive refresh (due at 2 s) and the expiry
  // (3 s), long enough for an unbounded backoff to have grown past several seconds.
  await new Promise((r) => setTimeout(r, 8_000));
  server.control.setOffline(false);
  const back = Date.now();
  await expect
    .poll(
      () =>
        tab.evaluate(
          (back) =>
            (globalThis as unknown as { __polls: Array<{ at: number; ok: boolean }> }).__polls.some(
              (p) => p.ok && p.at > back,
            ),
          back,
        ),
      { timeout: 15_000 },
    )
    .toBe(true);
  const polls = await tab.evaluate(() => {
    const g = globalThis as unknown as { __polls: Array<{ at: number; ok: boolean }>; __stop: boolean };
    g.__stop = true;
    return g.__polls;
  });
  const firstOk = polls.find((p) => p.ok && p.at > back)!;
  console.log(`outage recovery: first success ${firstOk.at - back} ms after the server came back`);
  expect(firstOk.at - back).toBeLessThan(1_500);
  expect(polls.some((p) => !p.ok)).toBe(true); // the outage was real
  expect(server.control.counters()).toMatchObject({ reuseDetections: 0, invalidGrants: 0 });
  expect(await recordedEvents(tab, 'logout')).toEqual([]);
});
