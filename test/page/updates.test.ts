import { describe, expect, it, vi } from 'vitest';
import { watchUpdates, type UpdateSource } from '../../src/updates.js';

/** A registration whose `waiting` worker the test sets, and a workbox-window stand-in that fires `waiting`. */
function world(initiallyWaiting = false) {
  const registration = { waiting: initiallyWaiting ? ({ id: 'v2' } as unknown as ServiceWorker) : null } as {
    waiting: ServiceWorker | null;
  };
  const container = new EventTarget() as unknown as ServiceWorkerContainer;
  const events = new EventTarget();
  const listeners = new Map<unknown, EventListener>();
  const workbox: UpdateSource & { skipRequests: number } = {
    skipRequests: 0,
    messageSkipWaiting: () => void workbox.skipRequests++,
    addEventListener: (_type, listener) => {
      const wrapped: EventListener = (e) => listener({ sw: (e as Event & { sw?: ServiceWorker }).sw });
      listeners.set(listener, wrapped);
      events.addEventListener('waiting', wrapped);
    },
    removeEventListener: (_type, listener) => events.removeEventListener('waiting', listeners.get(listener)!),
  };
  const installNew = (id: string): void => {
    const sw = { id } as unknown as ServiceWorker;
    registration.waiting = sw;
    events.dispatchEvent(Object.assign(new Event('waiting'), { sw }));
  };
  return {
    registration: registration as unknown as ServiceWorkerRegistration,
    raw: registration,
    container,
    workbox,
    installNew,
  };
}

describe('watchUpdates', () => {
  it('announces each waiting version once, including one waiting before it listened', async () => {
    const w = world(true);
    const onWaiting = vi.fn();
    const control = watchUpdates(w.workbox, w.registration, w.container, onWaiting);
    await Promise.resolve();
    expect(onWaiting).toHaveBeenCalledTimes(1);
    w.installNew('v3');
    w.installNew('v3-again'); // another version: announced too
    expect(onWaiting).toHaveBeenCalledTimes(3);
    control.dispose();
    w.installNew('v4');
    expect(onWaiting).toHaveBeenCalledTimes(3);
  });

  it('apply asks the waiting version to skip waiting and resolves once it controls the page', async () => {
    const w = world();
    const control = watchUpdates(w.workbox, w.registration, w.container, () => undefined);
    expect(await control.apply(1_000)).toBe(false); // nothing waits: nothing is sent
    expect(w.workbox.skipRequests).toBe(0);
    w.installNew('v2');
    const applied = control.apply(1_000);
    expect(w.workbox.skipRequests).toBe(1);
    w.container.dispatchEvent(new Event('controllerchange'));
    expect(await applied).toBe(true);
  });

  it('apply gives up after its timeout when the version never takes over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const w = world(true);
      const control = watchUpdates(w.workbox, w.registration, w.container, () => undefined);
      const applied = control.apply(5_000);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await applied).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('update-stalled: a version asked to take over that still waits after afterMs is reported once; one that took over is not', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const w = world();
      const onStalled = vi.fn();
      const control = watchUpdates(w.workbox, w.registration, w.container, () => undefined, {
        afterMs: 5_000,
        eager: true,
        onStalled,
      });
      w.installNew('v2');
      await vi.advanceTimersByTimeAsync(4_999);
      expect(onStalled).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(onStalled).toHaveBeenCalledWith(5_000);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(onStalled).toHaveBeenCalledTimes(1);
      w.installNew('v3');
      w.raw.waiting = null; // v3 took over in time
      await vi.advanceTimersByTimeAsync(10_000);
      expect(onStalled).toHaveBeenCalledTimes(1);
      control.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('update-stalled, not eager (your own worker without skipWaiting): a waiting version is stalled only once applyUpdate() asked', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const w = world(true);
      const onStalled = vi.fn();
      const control = watchUpdates(w.workbox, w.registration, w.container, () => undefined, {
        afterMs: 5_000,
        eager: false,
        onStalled,
      });
      await vi.advanceTimersByTimeAsync(30_000);
      expect(onStalled).not.toHaveBeenCalled(); // waiting for the user is not a stall
      void control.apply(20_000);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(onStalled).toHaveBeenCalledTimes(1);
      control.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
