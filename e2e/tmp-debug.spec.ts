import { loginThroughForm, openDemo } from './demo.js';
import { expect, test } from './fixtures.js';
test.use({ serverOptions: { accessTtlSeconds: 8, demoMode: true } });
test('debug', async ({ context, server }) => {
  const a = await openDemo(context, server, { panelPoll: 0 });
  a.on('console', (m) => console.log('A:', m.text()));
  await loginThroughForm(a);
  const t0 = Date.now();
  const s = await a.evaluate(() => (globalThis as any).demo.broker.status());
  console.log('status', JSON.stringify(s));
  await a.locator('#race').click();
  await expect(a.locator('#race-outcome-broker')).toHaveAttribute('data-alive', 'true', { timeout: 20_000 });
  const stats = await (await fetch(`${server.url}/__demo/stats`)).json();
  for (const m of stats.sides.broker.marks) console.log(m.at - t0, m.kind, m.trigger, m.generation, m.tab);
  for (const l of stats.sides.broker.lifetimes) console.log('life', l.generation, l.from - t0, l.until && l.until - t0);
});
