// Issue 29 (3): Firefox does not send `keepalive` requests of a controlled page through its service
// worker, so they reach the server without the token; `broker.fetch` attaches it itself there.
import { loginThroughForm, openDemo } from './demo.js';
import { expect, test } from './fixtures.js';

test('a keepalive request through broker.fetch carries the token; a plain one shows the engine gap', async ({
  context,
  server,
  browserName,
}) => {
  const tab = await openDemo(context, server, { panelPoll: 0 });
  await loginThroughForm(tab);
  const outcome = await tab.evaluate(async () => {
    const broker = (globalThis as unknown as { demo: { broker: { fetch: typeof fetch } } }).demo.broker;
    const plain = await fetch('/api/me', { keepalive: true, cache: 'no-store' });
    const viaBroker = await broker.fetch('/api/me', { keepalive: true, cache: 'no-store' });
    const post = await broker.fetch('/api/me', { method: 'POST', keepalive: true, body: '{}' });
    const normal = await broker.fetch('/api/me', { cache: 'no-store' });
    return {
      controlled: navigator.serviceWorker.controller !== null,
      plain: plain.status,
      viaBroker: viaBroker.status,
      post: post.status,
      normal: normal.status,
    };
  });
  console.log(browserName, JSON.stringify(outcome));
  const hits = server.control.counters().requests.filter((r) => r.path === '/api/me');
  console.log(JSON.stringify(hits.slice(-4)));
});
