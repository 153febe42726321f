import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrokerStatus } from '../../shared/protocol.js';
import { brokerNames } from '../../shared/names.js';
import { createWakeScheduler, MAX_TIMER_MS, type WakeScheduler } from '../../src/wakeup.js';

const LEADER_LOCK = brokerNames().leaderLock;
import { deferred } from './fake-source.js';

function status(refreshDueIn: number | null, loggedIn = true): BrokerStatus {
  return {
    loggedIn,
    generation: loggedIn ? 1 : 0,
    expiresIn: null,
    refreshDueIn,
    lastRefresh: null,
    configured: true,
    workerInstance: 'w',
  };
}

/** A wake function answering with the given statuses in turn (the last one repeats). */
function wakeWith(...answers: Array<BrokerStatus | Error>) {
  return vi.fn(async () => {
    const next = answers.length > 1 ? answers.shift() : answers[0];
    if (next instanceof Error) throw next;
    return next as BrokerStatus;
  });
}

/** An exclusive Web Lock manager for one origin: grants in request order. */
function fakeLocks() {
  const waiting: Array<() => void> = [];
  let held = false;
  const names: string[] = [];
  const locks = {
    names,
    request(name: string, callback: () => unknown): Promise<unknown> {
      names.push(name);
      return new Promise((resolve, reject) => {
        const run = (): void => {
          held = true;
          Promise.resolve()
            .then(callback)
            .then(resolve, reject)
            .finally(() => {
              held = false;
              waiting.shift()?.();
            });
        };
        if (held) waiting.push(run);
        else run();
      });
    },
  };
  return locks;
}

const schedulers: WakeScheduler[] = [];
function scheduler(wake: () => Promise<BrokerStatus>): WakeScheduler {
  const s = createWakeScheduler(wake);
  schedulers.push(s);
  return s;
}

/** Lets promise callbacks run without moving the fake clock. */
const tick = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  for (const s of schedulers.splice(0)) s.stop();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('WakeScheduler without navigator.locks', () => {
  it('leads directly: wakes the worker at start', () => {
    expect(globalThis.navigator?.locks).toBeUndefined();
    const wake = wakeWith(status(60_000));
    scheduler(wake).start();
    expect(wake).toHaveBeenCalledTimes(1);
  });

  it('schedules the next wake-up when the refresh falls due', async () => {
    const wake = wakeWith(status(60_000));
    scheduler(wake).start();
    await tick();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(wake).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(20); // a little after due, never before
    expect(wake).toHaveBeenCalledTimes(2);
  });

  it('reschedules from a fresh status, replacing the earlier timer', async () => {
    const wake = wakeWith(status(60_000), status(null));
    const s = scheduler(wake);
    s.start();
    await tick();
    s.plan(status(5_000)); // e.g. after a login in another tab
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(5_020);
    expect(wake).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(wake).toHaveBeenCalledTimes(2); // the 60 s timer is gone, and null plans nothing
    expect(vi.getTimerCount()).toBe(0);
  });

  it('plans nothing while logged out or with no known expiry', async () => {
    const s = scheduler(wakeWith(status(null)));
    s.start();
    await tick();
    expect(vi.getTimerCount()).toBe(0);
    s.plan(status(1_000, false));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('backs off while the refresh is due but not done, and resets once it is', async () => {
    const wake = wakeWith(...Array.from({ length: 7 }, () => status(0)), status(10_000), status(0));
    scheduler(wake).start();
    await tick();
    const gaps: number[] = [];
    let last = Date.now();
    while (wake.mock.calls.length < 9) {
      const before = wake.mock.calls.length;
      await vi.advanceTimersToNextTimerAsync();
      if (wake.mock.calls.length > before) {
        gaps.push(Date.now() - last);
        last = Date.now();
      }
    }
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 10_020]);
    await tick();
    await vi.advanceTimersByTimeAsync(999);
    expect(wake).toHaveBeenCalledTimes(9);
    await vi.advanceTimersByTimeAsync(1);
    expect(wake).toHaveBeenCalledTimes(10); // back to the first step of the back-off
  });

  it('treats a failed wake-up as due and backs off instead of giving up', async () => {
    const wake = wakeWith(new Error('worker-timeout'));
    scheduler(wake).start();
    await tick();
    await vi.advanceTimersByTimeAsync(1000);
    expect(wake).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(wake).toHaveBeenCalledTimes(3);
  });

  it('stops cleanly: no timer left, none planned later, none from a wake-up still in flight', async () => {
    const answer = deferred<BrokerStatus>();
    const wake = vi.fn(() => answer.promise);
    const s = scheduler(wake);
    s.start();
    s.stop();
    answer.resolve(status(1_000));
    await tick();
    expect(vi.getTimerCount()).toBe(0);
    s.plan(status(1_000));
    expect(vi.getTimerCount()).toBe(0);

    const wake2 = wakeWith(status(1_000));
    const s2 = scheduler(wake2);
    s2.start();
    await tick();
    expect(vi.getTimerCount()).toBe(1);
    s2.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(wake2).toHaveBeenCalledTimes(1);
  });

  it('wakes the worker when the network comes back, until stopped (and removes its listener)', async () => {
    const target = new EventTarget();
    const add = vi.fn(target.addEventListener.bind(target));
    const remove = vi.fn(target.removeEventListener.bind(target));
    vi.stubGlobal('addEventListener', add);
    vi.stubGlobal('removeEventListener', remove);
    const wake = wakeWith(status(600_000));
    const s = scheduler(wake);
    s.start();
    await tick();
    target.dispatchEvent(new Event('online'));
    expect(wake).toHaveBeenCalledTimes(2);
    s.stop();
    target.dispatchEvent(new Event('online'));
    expect(wake).toHaveBeenCalledTimes(2);
    expect(add).toHaveBeenCalledWith('online', expect.any(Function));
    expect(remove).toHaveBeenCalledWith('online', add.mock.calls[0]?.[1]);
  });
});

describe('WakeScheduler with navigator.locks', () => {
  it('lets only the lock holder wake the worker; the next tab takes over when it stops', async () => {
    const locks = fakeLocks();
    vi.stubGlobal('navigator', { locks });
    const wakeA = wakeWith(status(60_000));
    const wakeB = wakeWith(status(60_000));
    const a = scheduler(wakeA);
    const b = scheduler(wakeB);
    a.start();
    b.start();
    await tick();
    expect(locks.names).toEqual([LEADER_LOCK, LEADER_LOCK]);
    expect(wakeA).toHaveBeenCalledTimes(1);
    expect(wakeB).not.toHaveBeenCalled();
    b.plan(status(1_000)); // a follower plans nothing
    expect(vi.getTimerCount()).toBe(1);

    a.stop();
    await tick();
    expect(wakeB).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60_020);
    expect(wakeA).toHaveBeenCalledTimes(1);
    expect(wakeB).toHaveBeenCalledTimes(2);
  });

  it('a follower that stopped while queued never leads and lets the lock go', async () => {
    const locks = fakeLocks();
    vi.stubGlobal('navigator', { locks });
    const a = scheduler(wakeWith(status(60_000)));
    const wakeB = wakeWith(status(60_000));
    const b = scheduler(wakeB);
    const wakeC = wakeWith(status(60_000));
    const c = scheduler(wakeC);
    a.start();
    b.start();
    c.start();
    b.stop();
    a.stop();
    await tick();
    expect(wakeB).not.toHaveBeenCalled();
    expect(wakeC).toHaveBeenCalledTimes(1);
  });
});

describe('long-lived tokens', () => {
  it('never hands a timer more than 2^31-1 ms: a refresh due in 30 days posts nothing until then, then one wake-up', async () => {
    vi.stubGlobal('navigator', {});
    const day = 24 * 3600 * 1000;
    const wake = wakeWith(status(30 * day), status(60_000));
    const spy = vi.spyOn(globalThis, 'setTimeout');
    scheduler(wake).start();
    await tick();
    expect(wake).toHaveBeenCalledTimes(1);
    expect(Math.max(...spy.mock.calls.map(([, ms]) => Number(ms ?? 0)))).toBeLessThanOrEqual(MAX_TIMER_MS);
    await vi.advanceTimersByTimeAsync(29 * day);
    expect(wake).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(day + 20);
    expect(wake).toHaveBeenCalledTimes(2);
    expect(Math.max(...spy.mock.calls.map(([, ms]) => Number(ms ?? 0)))).toBeLessThanOrEqual(MAX_TIMER_MS);
    spy.mockRestore();
  });
});
