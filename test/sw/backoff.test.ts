import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, RefreshBackoff, UNREACHABLE_RETRY_MS } from '../../sw/backoff.js';
import { Rig, START, TestClock } from './harness.js';

const opts = { initialMs: 500, maxMs: 30_000 };

describe('backoffDelay', () => {
  it('doubles from initialMs with equal jitter (half fixed, half random)', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, opts, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, opts, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(3, opts, () => 0.5)).toBe(1500);
  });

  it('is capped at maxMs however many failures there were', () => {
    expect(backoffDelay(7, opts, () => 1)).toBe(30_000);
    expect(backoffDelay(60, opts, () => 1)).toBe(30_000);
    expect(backoffDelay(60, opts, () => 0)).toBe(15_000);
    expect(backoffDelay(2000, opts, () => 1)).toBe(30_000);
  });

  it('spreads over random draws and never collapses to zero', () => {
    const delays = Array.from({ length: 11 }, (_, i) => backoffDelay(2, opts, () => i / 10));
    expect(new Set(delays).size).toBe(11);
    expect(Math.min(...delays)).toBe(500);
    expect(Math.max(...delays)).toBe(1000);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('5', START)).toBe(5_000);
    expect(parseRetryAfter('0', START)).toBe(0);
    expect(parseRetryAfter(new Date(START + 90_000).toUTCString(), START)).toBe(90_000);
  });

  it('ignores garbage, clamps the past to 0 and the far future to one hour', () => {
    expect(parseRetryAfter(null, START)).toBeUndefined();
    expect(parseRetryAfter('  ', START)).toBeUndefined();
    expect(parseRetryAfter('soon', START)).toBeUndefined();
    expect(parseRetryAfter(new Date(START - 90_000).toUTCString(), START)).toBe(0);
    expect(parseRetryAfter('-5', START)).toBe(0);
    expect(parseRetryAfter('999999', START)).toBe(3600_000);
  });
});

describe('RefreshBackoff', () => {
  const opts2 = { initialMs: 4_000, maxMs: 30_000 };

  it("networkBack ends our own backoff at once but keeps the server's Retry-After", async () => {
    const clock = new TestClock();
    // A sleep that never ends: only networkBack() can end this wait.
    const stuck = new RefreshBackoff('l1', { ...clock, now: clock.now, sleep: () => new Promise(() => {}) });
    stuck.failed(opts2, undefined);
    const waiting = stuck.waitOut(60_000);
    stuck.networkBack();
    await waiting;
    const backoff = new RefreshBackoff('l1', clock);
    backoff.failed(opts2, 9_000);
    backoff.networkBack();
    await backoff.waitOut(60_000);
    expect(clock.sleeps).toEqual([9_000]);
  });

  it('an unreachable endpoint is probed again within UNREACHABLE_RETRY_MS; a wait beyond maxMs throws', async () => {
    const clock = new TestClock();
    clock.rand = 1;
    const backoff = new RefreshBackoff('l1', clock);
    backoff.failed(opts2, undefined, true);
    await backoff.waitOut(60_000);
    expect(clock.sleeps).toEqual([UNREACHABLE_RETRY_MS]);
    backoff.failed(opts2, 120_000);
    await expect(backoff.waitOut(60_000)).rejects.toMatchObject({
      code: 'refresh-unavailable',
      retryAfter: 120,
    });
  });

  it('reports offline once per transition, other codes every time', () => {
    const backoff = new RefreshBackoff('l1', new TestClock());
    expect([backoff.shouldReport('offline'), backoff.shouldReport('offline')]).toEqual([true, false]);
    backoff.networkBack();
    expect(backoff.shouldReport('offline')).toBe(true);
    expect([
      backoff.shouldReport('refresh-unavailable'),
      backoff.shouldReport('refresh-unavailable'),
    ]).toEqual([true, true]);
  });
});

describe('backoff in the refresh loop', () => {
  it('sleeps jittered, doubling, capped delays between attempts and stops at maxRefreshAttempts', async () => {
    const rig = new Rig({
      config: { maxRefreshAttempts: 5, backoff: { initialSeconds: 0.5, maxSeconds: 2 } },
    });
    rig.clock.rand = 1;
    await rig.login();
    rig.backend.replies.push(...Array.from({ length: 5 }, () => ({ status: 503 })));
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(5);
    expect(rig.clock.sleeps).toEqual([500, 1000, 2000, 2000]);
  });

  it('draws the jitter from the injected random source', async () => {
    const rig = new Rig({ config: { maxRefreshAttempts: 3 } });
    rig.clock.rand = 0;
    await rig.login();
    rig.backend.replies.push({ status: 500 }, { status: 500 });
    await rig.broker.refresh('explicit');
    expect(rig.clock.sleeps).toEqual([250, 500]);
    expect(rig.backend.refreshCount).toBe(3);
  });

  it('honours Retry-After (seconds) when it is longer than the backoff', async () => {
    const rig = new Rig();
    await rig.login();
    rig.backend.replies.push({ status: 429, headers: { 'Retry-After': '7' } });
    await rig.broker.refresh('explicit');
    expect(rig.clock.sleeps).toEqual([7_000]);
    expect(rig.backend.refreshCount).toBe(2);
    expect(rig.bus.of('logout')).toEqual([]);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const rig = new Rig();
    await rig.login();
    const at = new Date(rig.clock.now() + 12_000).toUTCString();
    rig.backend.replies.push({ status: 503, headers: { 'Retry-After': at } });
    await rig.broker.refresh('explicit');
    expect(rig.clock.sleeps).toHaveLength(1);
    expect(rig.clock.sleeps[0]).toBeGreaterThan(11_000);
    expect(rig.clock.sleeps[0]).toBeLessThanOrEqual(12_000);
  });

  it('a Retry-After beyond the cap gives up at once with retryAfter, and the cool-down holds for the next call', async () => {
    const rig = new Rig();
    await rig.login();
    rig.backend.replies.push({ status: 429, headers: { 'Retry-After': '120' } });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({
      code: 'refresh-unavailable',
      retryAfter: 120,
    });
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.clock.sleeps).toEqual([]);
    // Still cooling down: nothing is sent.
    rig.clock.t += 60_000;
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({
      code: 'refresh-unavailable',
      retryAfter: 60,
    });
    expect(rig.backend.refreshCount).toBe(1);
    // After the cool-down the next call goes out and succeeds.
    rig.clock.t += 60_000;
    await expect(rig.broker.refresh('explicit')).resolves.toMatchObject({ generation: 2 });
    expect(rig.backend.refreshCount).toBe(2);
    expect(await rig.stored()).toMatchObject({ generation: 2 });
  });

  it('a success resets the failure count', async () => {
    const rig = new Rig({ config: { maxRefreshAttempts: 2 } });
    rig.clock.rand = 1;
    await rig.login();
    rig.backend.replies.push({ status: 500 }, { status: 500 });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    // The next call waits out the last backoff (1000 ms), then succeeds.
    await rig.broker.refresh('explicit');
    rig.backend.replies.push({ status: 500 });
    await rig.broker.refresh('explicit');
    expect(rig.clock.sleeps).toEqual([500, 1000, 500]);
  });
});
