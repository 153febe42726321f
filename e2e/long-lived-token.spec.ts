// Every timer is bounded (issue 27): with a 30-day access token the refresh falls due beyond
// what a browser timer holds (2^31-1 ms, ~24.9 days). An unbounded delay fires at once, and the
// leader tab posted ~2,000 wake-ups a second to the worker. Bounded, an idle tab posts nothing.
import { expect, test } from './fixtures.js';
import { brokerStatus, loginThroughForm, openDemo } from './harness/tabs.js';
import { hookWorkerPosts, type PostHooks } from './harness/worker-control.js';

const DAYS_30 = 30 * 24 * 3600;
const WINDOW_MS = 15_000;

test.use({ serverOptions: { accessTtlSeconds: DAYS_30 } });

test('a 30-day token: an idle tab posts (almost) nothing to the worker', async ({ context, server }) => {
  // `panelPoll: 0`: no status polling by the demo panel, so only the client's own messages count.
  const page = await openDemo(context, server, { panelPoll: 0 });
  await page.evaluate(hookWorkerPosts);
  await page.evaluate(() => {
    const counter = ((globalThis as unknown as { __posts: { n: number } }).__posts = { n: 0 });
    (globalThis as unknown as PostHooks).__postHooks.push((_worker, message) => {
      counter.n++;
      return message;
    });
  });
  await loginThroughForm(page);
  const status = await brokerStatus(page);
  expect(status.refreshDueIn).toBeGreaterThan(2 ** 31 - 1); // the case a plain setTimeout gets wrong
  const posts = () => page.evaluate(() => (globalThis as unknown as { __posts: { n: number } }).__posts.n);
  const before = await posts();
  // Time is the subject: an idle tab, watched for a while.
  await page.waitForTimeout(WINDOW_MS);
  const during = (await posts()) - before;
  console.log(`30-day token: ${during} page-to-worker messages in ${WINDOW_MS / 1000} s of idling`);
  expect(during).toBeLessThanOrEqual(2);
  expect(server.control.counters().refreshCalls).toBe(0);
});
