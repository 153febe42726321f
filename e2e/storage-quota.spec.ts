// Issue 13 (4), over quota: IndexedDB refuses the broker's writes. Chromium's CDP quota override
// (`Storage.overrideQuotaForOrigin`, even at 1 byte) did not make small IndexedDB writes fail
// here, so the worker under test is the built sw.js behind a test-only prelude that aborts every
// IndexedDB write transaction with `QuotaExceededError` while the page says storage is full.
// Expected: refreshes go on (the rotated session kept in memory), the app is told once per fault
// (`storage-failed`), nothing is sent twice, and the next write after space returns persists.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { demoStaticDir, demoSwScript, expect, test as base, type TestServer } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { readStoredSession } from './harness/storage.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';

const PRELUDE = `
(() => {
  let full = false;
  new BroadcastChannel('test-storage-quota').onmessage = (event) => { full = event.data === 'full'; };
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    const request = put.apply(this, args);
    if (full) this.transaction.abort();
    return request;
  };
})();
`;

const test = base.extend<{ quotaServer: TestServer }>({
  quotaServer: async ({}, use) => {
    const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-quota-'));
    const script = join(dir, 'sw.js');
    await writeFile(script, PRELUDE + (await readFile(demoSwScript, 'utf8')));
    const { startServer } = await import('../demo/server/index.js');
    const server = await startServer({
      accessTtlSeconds: 60,
      testControl: true,
      staticDir: demoStaticDir,
      swScript: script,
    });
    try {
      await use(server);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
});

function storage(page: Page, state: 'full' | 'free'): Promise<void> {
  return page.evaluate((state) => new BroadcastChannel('test-storage-quota').postMessage(state), state);
}

test('IndexedDB over quota: refreshes go on in memory, the app is told, no reuse; the next write persists', async ({
  context,
  quotaServer: server,
}) => {
  const tab = await openDemo(context, server, { backoff: 0.1, panelPoll: 0 });
  await recordEvents(tab);
  await loginThroughForm(tab);
  await storage(tab, 'full');
  const refreshed = await brokerCall(tab, 'refresh');
  expect(refreshed, JSON.stringify(refreshed)).toMatchObject({
    ok: true,
    value: { loggedIn: true, generation: 2 },
  });
  await expect
    .poll(() => recordedEvents(tab, 'error'))
    .toContainEqual(expect.objectContaining({ code: 'storage-failed' }));
  // The rotated token is in use; storage still holds the login's record (its writes were refused).
  expect(await callMe(tab, 'fetch')).toMatchObject({ generation: 2 });
  expect(await readStoredSession(tab)).toMatchObject({ kind: 'session', generation: 1 });

  await storage(tab, 'free');
  // The next refresh sends generation 2's token (never the spent one) and is stored.
  expect(await brokerCall(tab, 'refresh')).toMatchObject({ ok: true, value: { generation: 3 } });
  expect(await readStoredSession(tab)).toEqual({
    kind: 'session',
    generation: 3,
    complete: true,
    inflight: false,
  });
  expect(await callMe(tab, 'axios')).toMatchObject({ generation: 3 });
  expect(server.control.counters()).toMatchObject({
    refreshCalls: 2,
    rotations: 2,
    reuseDetections: 0,
    invalidGrants: 0,
  });
  expect(await recordedEvents(tab, 'logout')).toEqual([]);
});
