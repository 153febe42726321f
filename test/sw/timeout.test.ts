import { afterEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from '../../shared/timeout.js';
import { Aborted, bounded } from '../../sw/bounded.js';

afterEach(() => vi.useRealTimers());

// The one timeout race of the package (shared/timeout.ts): page calls, readiness and the
// worker's bounded waits all use it.
describe('withTimeout', () => {
  it('settles like the promise when it is first, and never calls late()', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const late = vi.fn(() => 'late');
    await expect(withTimeout(Promise.resolve('value'), 1_000, late)).resolves.toBe('value');
    await expect(withTimeout(Promise.reject(new Error('boom')), 1_000, late)).rejects.toThrow('boom');
    expect(vi.getTimerCount()).toBe(0); // the timers are cleared
    expect(late).not.toHaveBeenCalled();
  });

  it('after ms settles with what late() returns, or rejects with what it throws', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const never = new Promise<string>(() => undefined);
    const fallback = withTimeout(never, 1_000, () => 'fallback');
    const failed = withTimeout(never, 2_000, () => {
      throw new Error('too late');
    });
    const caught = failed.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(1_001);
    await expect(fallback).resolves.toBe('fallback');
    expect(await caught).toMatchObject({ message: 'too late' });
  });
});

describe('bounded (the worker waiting for a refresh)', () => {
  it('rejects refresh-unavailable after ms, and Aborted at once when the signal aborts (its timer cleared)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const never = new Promise<string>(() => undefined);
    const timedOut = bounded(never, 500).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    expect(await timedOut).toMatchObject({ code: 'refresh-unavailable' });
    const controller = new AbortController();
    const waiting = bounded(never, 10_000, controller.signal).catch((e: unknown) => e);
    controller.abort();
    expect(await waiting).toBeInstanceOf(Aborted);
    expect(vi.getTimerCount()).toBe(0);
  });
});
