import { describe, expect, it } from 'vitest';
import { TokenBrokerError } from '../../shared/errors.js';
import { apiRequest, gate, Rig, until } from './harness.js';

/**
 * Logs in, `prepare`s the rig, sends a POST that ends up waiting on a refresh the server holds,
 * aborts it there, then lets the refresh finish. Returns the rig for what the server saw.
 */
async function abortedWhileTheRefreshIsHeld(prepare: (rig: Rig) => void): Promise<Rig> {
  const rig = new Rig({ hardCapMs: 10_000 });
  await rig.login();
  prepare(rig);
  const g = gate();
  rig.backend.gate = g.promise;
  const controller = new AbortController();
  const res = rig.forward(apiRequest('/api/pay', { method: 'POST', body: 'x', signal: controller.signal }));
  await until(() => rig.backend.refreshCount === 1);
  controller.abort();
  expect((await res).type).toBe('error');
  g.open();
  await rig.broker.settled();
  return rig;
}

describe('abort signals are honoured at every wait', () => {
  it('a request aborted while it waits for a refresh is never sent', async () => {
    const rig = await abortedWhileTheRefreshIsHeld((r) => void (r.clock.t += 3600_000)); // expired: it waits
    expect(rig.backend.apiCalls).toEqual([]);
    // The refresh itself still completes and is stored.
    expect(await rig.stored()).toMatchObject({ generation: 2 });
  });

  it('a request aborted while its 401 recovery runs is not replayed', async () => {
    const rig = await abortedWhileTheRefreshIsHeld(
      (r) => void (r.backend.accessToken = 'server-side-expired'),
    ); // 401 first
    expect(rig.backend.apiCalls).toHaveLength(1);
  });
});

describe('storage faults end the session cleanly', () => {
  it('a corrupt session record is removed and every tab hears logout (storage-lost); nothing is sent', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.store.write({ ...(await rig.stored())!, generation: Number.NaN });
    const restarted = rig.newBroker();
    await restarted.ready();
    expect(restarted.currentSession()).toBeNull();
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'storage-lost' }]);
    expect((await rig.forward(apiRequest('/api/data'), restarted)).status).toBe(401);
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('a session deleted from storage behind the worker’s back ends with one storage-lost logout at the next refresh', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.store.clear();
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'no-session' });
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'storage-lost' }]);
    expect(rig.broker.currentSession()).toBeNull();
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('…or at the next page call (sync), without waiting for a refresh', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.store.clear();
    await rig.broker.sync();
    await rig.broker.sync();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'storage-lost' }]);
  });

  it('a rotated session IndexedDB refuses to store is kept in memory and used for the next refresh (never the spent token)', async () => {
    const rig = new Rig();
    await rig.login();
    const update = rig.store.update;
    // Update 1 records the attempt; update 2 would store the rotated answer: IndexedDB refuses it.
    let calls = 0;
    rig.store.update = (decide) =>
      ++calls === 2
        ? Promise.reject(new TokenBrokerError('storage-failed', 'QuotaExceededError'))
        : update(decide);
    const after = await rig.broker.refresh('explicit');
    expect(rig.bus.of('error')).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'storage-failed' }) },
    ]);
    expect(rig.broker.currentSession()).toEqual(after);
    rig.store.update = update;
    await rig.broker.refresh('explicit');
    expect(rig.backend.reuses).toEqual([]);
    expect(rig.backend.refreshes.map((r) => r.refreshToken)).toEqual(['rt-1', after.refreshToken]);
  });
});

describe('aborts the page announces (Chromium does not abort the FetchEvent request)', () => {
  const tagged = (id: string) =>
    apiRequest('/api/pay', { method: 'POST', body: 'x', headers: { 'x-token-broker-request': id } });

  it('a tagged request aborted by message while it waits for a refresh is never sent; the tag never leaves the worker', async () => {
    const rig = new Rig({ hardCapMs: 10_000 });
    await rig.login();
    rig.clock.t += 3600_000;
    const g = gate();
    rig.backend.gate = g.promise;
    const res = rig.forward(tagged('req-1'));
    await until(() => rig.backend.refreshCount === 1);
    rig.broker.aborts.abort('req-1');
    expect((await res).type).toBe('error');
    g.open();
    await rig.broker.settled();
    expect(rig.backend.apiCalls).toEqual([]);
    await rig.forward(tagged('req-2'));
    expect(rig.backend.apiCalls.map((c) => c.request.headers.has('x-token-broker-request'))).toEqual([false]);
  });

  it('an abort that overtakes its request is remembered briefly', async () => {
    const rig = new Rig();
    await rig.login();
    rig.broker.aborts.abort('early');
    expect((await rig.forward(tagged('early'))).type).toBe('error');
    expect(rig.backend.apiCalls).toEqual([]);
  });
});
