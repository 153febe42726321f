// Issue 13 (4): storage faults are a first-class failure. IndexedDB deleted, cleared or holding a
// corrupt record behind the broker's back: every tab gets one `logout` (storage-lost) within a
// bounded time, storage is left clean, requests go out without a token, never a 503 loop or a hang.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { readStoredSession } from './harness/storage.js';
import { brokerCall, loginThroughForm, openDemo } from './harness/tabs.js';
import { stopServiceWorkers, CHROMIUM_ONLY } from './harness/worker-control.js';

type Fault = 'deleted' | 'cleared' | 'corrupt';

/** Damages the broker's database from the page, as devtools, an extension or site-data clearing would. */
function damage(page: Page, fault: Fault): Promise<void> {
  return page.evaluate(
    (fault) =>
      new Promise<void>((resolve, reject) => {
        if (fault === 'deleted') {
          const del = indexedDB.deleteDatabase('sw-token-broker');
          del.onsuccess = () => resolve();
          del.onerror = () => reject(del.error);
          // The worker's open connection is asked to close (versionchange); if it did not, this would block.
          del.onblocked = () => reject(new Error('delete blocked by an open connection'));
          return;
        }
        const open = indexedDB.open('sw-token-broker');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('session', 'readwrite');
          const store = tx.objectStore('session');
          if (fault === 'cleared') store.clear();
          else {
            const get = store.get('current');
            get.onsuccess = () =>
              store.put({ ...get.result, generation: 'seven', refreshToken: 42 }, 'current');
          }
          tx.oncomplete = () => (db.close(), resolve());
          tx.onerror = () => (db.close(), reject(tx.error));
        };
      }),
    fault,
  );
}

for (const fault of ['deleted', 'cleared', 'corrupt'] as const) {
  test(`IndexedDB ${fault} behind the worker's back: one storage-lost logout in every tab, storage clean, no hang`, async ({
    browserName,
    context,
    server,
  }) => {
    test.skip(fault === 'corrupt' && browserName !== 'chromium', CHROMIUM_ONLY.stopPolledWorker);
    const tabs = [await openDemo(context, server), await openDemo(context, server)];
    for (const tab of tabs) await recordEvents(tab);
    await loginThroughForm(tabs[0]!);
    expect(await brokerCall(tabs[1]!, 'status')).toMatchObject({ ok: true, value: { loggedIn: true } });
    await damage(tabs[0]!, fault);
    // A corrupt record is found when a worker next reads it: after a restart, or at the next check.
    if (fault === 'corrupt') await stopServiceWorkers(context, tabs[0]!);

    // The demo polls status once a second: each poll checks storage.
    for (const tab of tabs) {
      await expect
        .poll(() => recordedEvents(tab, 'logout'), { timeout: 5_000 })
        .toEqual([expect.objectContaining({ reason: 'storage-lost' })]);
    }
    expect(await readStoredSession(tabs[0]!)).toMatchObject({
      kind: expect.stringMatching(/^no-(session|database)$/),
    });
    for (const tab of tabs) {
      const status = await brokerCall(tab, 'status');
      expect(status).toMatchObject({ ok: true, value: { loggedIn: false } });
      expect(status.ms).toBeLessThan(5_000);
    }
    server.control.reset();
    const res = await tabs[1]!.evaluate(() =>
      fetch('/api/me').then((r) => ({ status: r.status, marker: r.headers.get('x-token-broker-error') })),
    );
    expect(res.status).toBe(401);
    expect(server.control.counters()).toMatchObject({ requestsWithAuth: 0, refreshCalls: 0 });
    // One logout per tab, not one per check.
    for (const tab of tabs) expect(await recordedEvents(tab, 'logout')).toHaveLength(1);
    // A new login works at once, without a reload.
    await loginThroughForm(tabs[1]!);
    expect(await tabs[1]!.evaluate(() => fetch('/api/me').then((r) => r.status))).toBe(200);
  });
}
