import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandover, HANDOVER_MESSAGES } from '../../sw/skip-waiting.js';

/** A worker (the other version) that records what it was sent. */
function peer() {
  const sent: unknown[] = [];
  return { scriptURL: 'https://app.test/sw.js', sent, postMessage: (data: unknown) => void sent.push(data) };
}

/** A message event from `source`, as the worker's `message` listener gets it. */
function message(type: string, source: unknown = null): ExtendableMessageEvent {
  return { data: { type }, source } as unknown as ExtendableMessageEvent;
}

let scope: {
  registration: { active: ReturnType<typeof peer> | null };
  skipWaiting: ReturnType<typeof vi.fn>;
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  scope = { registration: { active: peer() }, skipWaiting: vi.fn(async () => undefined) };
  vi.stubGlobal('self', scope);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the new version asks to take over once, when the old one is quiet', () => {
  it('a first install (no active version) skips waiting at once', async () => {
    scope.registration.active = null;
    await createHandover().request();
    expect(scope.skipWaiting).toHaveBeenCalledTimes(1);
  });

  it('an old version that answers: skipWaiting() only on its quiet message, and only once', async () => {
    const handover = createHandover({ answerMs: 1000, deadlineMs: 60_000 });
    const old = scope.registration.active as ReturnType<typeof peer>;
    const armed = handover.request();
    expect(old.sent).toEqual([{ type: HANDOVER_MESSAGES.watch }]);
    handover.onMessage(message(HANDOVER_MESSAGES.watching, old));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(scope.skipWaiting).not.toHaveBeenCalled();
    expect(handover.onMessage(message(HANDOVER_MESSAGES.quiet, old))).toBe(true);
    await armed;
    handover.onMessage(message(HANDOVER_MESSAGES.quiet, old));
    await handover.request(); // a page's SKIP_WAITING nudge after that: nothing more
    await vi.advanceTimersByTimeAsync(60_000);
    expect(scope.skipWaiting).toHaveBeenCalledTimes(1);
  });

  it('an old version that never answers (an earlier release) gets skipWaiting() after answerMs', async () => {
    const handover = createHandover({ answerMs: 1000 });
    void handover.request();
    await vi.advanceTimersByTimeAsync(999);
    expect(scope.skipWaiting).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(scope.skipWaiting).toHaveBeenCalledTimes(1);
  });

  it('traffic that never pauses: skipWaiting() at the deadline', async () => {
    const handover = createHandover({ answerMs: 1000, deadlineMs: 60_000 });
    void handover.request();
    handover.onMessage(message(HANDOVER_MESSAGES.watching, scope.registration.active));
    await vi.advanceTimersByTimeAsync(59_999);
    expect(scope.skipWaiting).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(scope.skipWaiting).toHaveBeenCalledTimes(1);
  });

  it('asked again (page nudges), it re-sends watch at most every 5 s: an old worker restarted since forgot', async () => {
    const handover = createHandover({ answerMs: 1000, deadlineMs: 60_000 });
    const old = scope.registration.active as ReturnType<typeof peer>;
    void handover.request();
    handover.onMessage(message(HANDOVER_MESSAGES.watching, old));
    void handover.request();
    await vi.advanceTimersByTimeAsync(4_000);
    void handover.request();
    expect(old.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    void handover.request();
    expect(old.sent).toEqual([{ type: HANDOVER_MESSAGES.watch }, { type: HANDOVER_MESSAGES.watch }]);
    expect(scope.skipWaiting).not.toHaveBeenCalled();
  });

  it('ignores other messages', () => {
    expect(createHandover().onMessage(message('SOMETHING_ELSE'))).toBe(false);
    expect(createHandover().onMessage({ data: null } as unknown as ExtendableMessageEvent)).toBe(false);
  });
});

describe('the old version says when it has had no event in flight for quietMs', () => {
  it('answers watch, then reports quiet only after its work settled and quietMs passed without new work', async () => {
    const handover = createHandover({ quietMs: 150 });
    const successor = peer();
    let finish = (): void => undefined;
    handover.track(new Promise<void>((resolve) => (finish = resolve)));
    handover.onMessage(message(HANDOVER_MESSAGES.watch, successor));
    expect(successor.sent).toEqual([{ type: HANDOVER_MESSAGES.watching }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(successor.sent).toHaveLength(1); // a request in flight: not quiet
    finish();
    await vi.advanceTimersByTimeAsync(100);
    handover.track(Promise.resolve()); // another request inside the window starts it again
    await vi.advanceTimersByTimeAsync(100);
    expect(successor.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60);
    expect(successor.sent).toEqual([{ type: HANDOVER_MESSAGES.watching }, { type: HANDOVER_MESSAGES.quiet }]);
  });

  it('reports nothing when no new version asked', async () => {
    const handover = createHandover({ quietMs: 150 });
    handover.track(Promise.reject(new Error('a failed request counts as settled')));
    await vi.advanceTimersByTimeAsync(1000);
    handover.stop();
  });
});
