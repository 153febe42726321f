// Proves the browser setup (executable, flags, service workers on 127.0.0.1) and the CDP
// helpers in fixtures.ts, independent of our product: a throwaway server and an inline worker.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect } from '@playwright/test';
import {
  hardReload,
  stopServiceWorkers,
  waitForController,
  CHROMIUM_ONLY,
} from './harness/worker-control.js';

const page = `<!doctype html><meta charset="utf-8"><title>smoke</title>
<script>navigator.serviceWorker.register('/sw.js');</script>`;

// Each worker instance answers /hello with its own id, so a restart is visible.
const worker = `
const instance = Math.random().toString(36).slice(2);
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  if (event.data === 'claim') event.waitUntil(self.clients.claim());
});
self.addEventListener('fetch', (event) => {
  if (new URL(event.request.url).pathname === '/hello') {
    event.respondWith(new Response('worker:' + instance));
  }
});`;

async function startSmokeServer(): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const [type, body] =
      req.url === '/'
        ? ['text/html', page]
        : req.url === '/sw.js'
          ? ['text/javascript', worker]
          : req.url === '/hello'
            ? ['text/plain', 'network']
            : [undefined, 'not found'];
    res.writeHead(type ? 200 : 404, { 'content-type': type ?? 'text/plain', 'cache-control': 'no-cache' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits, server };
}

const hello = (p: import('@playwright/test').Page) => p.evaluate(() => fetch('/hello').then((r) => r.text()));

let smoke: Awaited<ReturnType<typeof startSmokeServer>>;
test.beforeEach(async () => {
  smoke = await startSmokeServer();
});
test.afterEach(async () => {
  smoke.server.closeAllConnections();
  await new Promise((resolve) => smoke.server.close(resolve));
});

test('the configured Chromium runs a service worker that answers fetches', async ({ page }) => {
  await page.goto(smoke.url);
  await waitForController(page);
  expect(await hello(page)).toMatch(/^worker:/);
  expect(smoke.hits).not.toContain('/hello');
});

test('CDP helpers: stopping restarts the worker, a hard reload is uncontrolled', async ({
  browserName,
  context,
  page,
}) => {
  test.skip(browserName !== 'chromium', CHROMIUM_ONLY.cdpHelpers);
  await page.goto(smoke.url);
  await waitForController(page);
  const first = await hello(page);

  await stopServiceWorkers(context, page);
  const second = await hello(page);
  expect(second).toMatch(/^worker:/);
  expect(second).not.toBe(first);

  await hardReload(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
  expect(await hello(page)).toBe('network');

  await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.postMessage('claim'));
  await waitForController(page);
  expect(await hello(page)).toMatch(/^worker:/);
});
