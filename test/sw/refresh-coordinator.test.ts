import { describe, expect, it } from 'vitest';
import { TokenBrokerError } from '../../shared/errors.js';
import { gate, noLock, Rig, until, within } from './harness.js';

describe('single flight', () => {
  it.each([
    ['with a shared lock', {}],
    ['without navigator.locks (single flight alone)', { lock: noLock }],
  ])(
    'N concurrent 401s, proactive checks and explicit refreshes make one refresh call (%s)',
    async (_name, options) => {
      const rig = new Rig(options);
      await rig.login();
      const acquired = rig.mutex.acquisitions;
      const g = gate();
      rig.backend.gate = g.promise;
      rig.clock.t += 3600_000; // due
      const b = rig.broker;
      const calls = [
        ...Array.from({ length: 5 }, () => b.refresh('unauthorized', 1)),
        ...Array.from({ length: 3 }, () => b.refresh('explicit')),
        b.refresh('proactive'),
        b.refreshIfDue(),
        b.getAccessToken(),
      ];
      await until(() => rig.backend.refreshCount === 1);
      // Callers arriving while the request is on the wire join it too.
      calls.push(b.refresh('unauthorized', 1), b.refresh('explicit'), b.refreshIfDue());
      await new Promise((r) => setImmediate(r));
      g.open();
      await within(Promise.all(calls));
      expect(rig.backend.refreshCount).toBe(1);
      expect(rig.bus.of('refreshed')).toHaveLength(1);
      expect(await rig.stored()).toMatchObject({ generation: 2, refreshToken: rig.backend.refreshToken });
      // One trip through the origin-wide lock, not one per caller.
      expect(rig.mutex.acquisitions - acquired).toBe('lock' in options ? 0 : 1);
    },
  );

  it('a refresh after the previous one settled is a new refresh with the new token', async () => {
    const rig = new Rig();
    await rig.login();
    const first = rig.backend.refreshToken;
    await rig.broker.refresh('explicit');
    const second = rig.backend.refreshToken;
    await rig.broker.refresh('explicit');
    expect(rig.backend.refreshes.map((r) => r.refreshToken)).toEqual([first, second]);
  });
});

describe('re-read under the lock', () => {
  it('adopts a session another worker version stored, with no network call', async () => {
    const rig = new Rig();
    const other = rig.newBroker({ isolated: true }); // hears no broadcast: only IndexedDB can tell it
    await rig.login();
    await other.ready();
    await rig.broker.refresh('explicit'); // this version rotates: generation 2
    expect(rig.backend.refreshCount).toBe(1);
    expect(other.status().generation).toBe(1);
    const adopted = await other.refresh('unauthorized', 1);
    expect(adopted).toMatchObject({ generation: 2, accessToken: rig.backend.accessToken });
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.backend.reuses).toEqual([]);
  });

  it('two versions refreshing at once over one lock send the refresh token once', async () => {
    const rig = new Rig();
    const other = rig.newBroker();
    await rig.login();
    await other.ready();
    const g = gate();
    rig.backend.gate = g.promise;
    const both = Promise.all([rig.broker.refresh('explicit'), other.refresh('explicit')]);
    await until(() => rig.backend.refreshCount === 1);
    await new Promise((r) => setImmediate(r));
    g.open();
    const [a, b] = await within(both);
    expect(rig.backend.refreshCount).toBe(1);
    expect(a.accessToken).toBe(b.accessToken);
    expect(rig.bus.of('logout')).toEqual([]);
  });

  it('a restarted worker (fresh broker, same IndexedDB and lock) uses the stored session', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.broker.refresh('explicit');
    const restarted = rig.newBroker();
    const res = await rig.forward(new Request('https://app.example/api/data'), restarted);
    expect(res.status).toBe(200);
    expect(rig.backend.apiCalls[0]?.auth).toBe(`Bearer ${rig.backend.accessToken}`);
    expect(restarted.status()).toMatchObject({ loggedIn: true, generation: 2 });
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('a reuse rejection re-reads IndexedDB: a newer session written meanwhile wins, nothing is cleared', async () => {
    // A context that neither shares our lock nor honours the in-flight record (a 0.1 worker
    // version during an update) rotates while our request is out.
    const rig = new Rig({ lock: noLock });
    await rig.login();
    const g = gate();
    rig.backend.gate = g.promise;
    const ours = rig.broker.refresh('unauthorized', 1);
    await until(() => rig.backend.refreshCount === 1);
    const stored = (await rig.stored())!;
    rig.backend.committed.push(rig.backend.refreshToken); // the old version spent rt-1…
    const next = rig.backend.issue();
    const { inflight: _ignored, ...plain } = stored;
    await rig.store.write({ ...plain, ...next, generation: 2, trigger: 'proactive' }); // …and stored rt-2
    g.open(); // now ours is answered: rt-1 was already used → invalid_grant
    const adopted = await within(ours);
    expect(rig.backend.reuses).toEqual(['rt-1']);
    expect(adopted).toMatchObject({ generation: 2, refreshToken: next.refreshToken });
    expect(await rig.stored()).toMatchObject({ generation: 2 });
    expect(rig.bus.of('logout')).toEqual([]);
  });
});

describe('failure rules', () => {
  it.each([
    [400, { error: 'invalid_grant' }],
    [401, { error: 'invalid_grant', error_description: 'expired' }],
  ])('%i invalid_grant clears IndexedDB and broadcasts logout(refresh-rejected)', async (status, body) => {
    const rig = new Rig();
    await rig.login();
    rig.backend.replies.push({ status, body });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({
      name: 'TokenBrokerError',
      code: 'refresh-rejected',
    });
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
    expect(rig.broker.status()).toMatchObject({ loggedIn: false, generation: 0 });
    expect(rig.backend.refreshCount).toBe(1);
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'no-session' });
    expect(rig.backend.refreshCount).toBe(1);
  });

  it.each([
    ['network error', 'network' as const],
    ['408', { status: 408 }],
    ['429', { status: 429 }],
    ['500', { status: 500 }],
    ['502', { status: 502, body: '<html>bad gateway</html>' }],
    ['503', { status: 503 }],
    ['400 that is not invalid_grant', { status: 400, body: { error: 'invalid_request' } }],
    ['403', { status: 403, body: { error: 'invalid_grant' } }],
  ])('%s is transient: session kept, no logout, retried up to maxRefreshAttempts', async (_name, reply) => {
    const rig = new Rig({ config: { maxRefreshAttempts: 3 } });
    await rig.login();
    const before = await rig.stored();
    rig.backend.replies.push(reply, reply, reply);
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(3);
    expect(rig.backend.refreshes.every((r) => r.refreshToken === before?.refreshToken)).toBe(true);
    expect(await rig.stored()).toEqual(before);
    expect(rig.broker.status().loggedIn).toBe(true);
    expect(rig.bus.of('logout')).toEqual([]);
    expect(rig.bus.of('error')).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'refresh-unavailable' }) },
    ]);
    expect(rig.clock.sleeps).toHaveLength(2);
  });

  it('a transient failure followed by success stores the new session', async () => {
    const rig = new Rig();
    await rig.login();
    rig.backend.replies.push('network', { status: 502 });
    await expect(rig.broker.refresh('explicit')).resolves.toMatchObject({ generation: 2 });
    expect(rig.backend.refreshCount).toBe(3);
    expect(rig.backend.committed).toHaveLength(1);
  });

  it('a token endpoint that never answers is cut off at the hard cap, keeping the session', async () => {
    const rig = new Rig({ config: { maxRefreshAttempts: 2 }, hardCapMs: 50 });
    await rig.login();
    const before = await rig.stored();
    rig.backend.replies.push('hang', 'hang');
    await expect(within(rig.broker.refresh('explicit'))).rejects.toMatchObject({
      code: 'refresh-unavailable',
      message: 'no answer from https://app.example/api/auth/refresh within the hard cap',
    });
    // Each request was abandoned (answer lost) before the next one carried the token again.
    expect(rig.backend.refreshCount).toBe(2);
    expect(rig.backend.refreshes.every((r) => r.request.signal.aborted)).toBe(true);
    expect(await rig.stored()).toEqual(before);
    expect(rig.bus.of('logout')).toEqual([]);
  });

  it('no attempt starts that could still be out when the refresh budget ends', async () => {
    // Backoff 0.75 s between attempts (fixed jitter), requests allowed 5 s: attempts at 0, 0.75
    // and 1.5 s fit a 7 s budget; one at 2.25 s could run to 7.25 s, so it is not sent.
    const config = { maxRefreshAttempts: 5, backoff: { initialSeconds: 1, maxSeconds: 1 } };
    const rig = new Rig({ config, hardCapMs: 5_000, refreshBudgetMs: 7_000 });
    await rig.login();
    const before = await rig.stored();
    rig.backend.replies.push(...Array.from({ length: 5 }, () => ({ status: 503 })));
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(3);
    expect(rig.clock.sleeps).toEqual([750, 750]);
    expect(await rig.stored()).toMatchObject({ generation: before?.generation });
    expect(rig.bus.of('logout')).toEqual([]);
    // The same failures under the default budget (4.5 min): every attempt the config allows.
    const roomy = new Rig({ config, hardCapMs: 5_000 });
    await roomy.login();
    roomy.backend.replies.push(...Array.from({ length: 5 }, () => ({ status: 503 })));
    await expect(roomy.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(roomy.backend.refreshCount).toBe(5);
  });

  it('offline: fails with `offline` and makes no network call', async () => {
    const rig = new Rig();
    await rig.login();
    rig.online = false;
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'offline' });
    expect(rig.backend.refreshCount).toBe(0);
    expect(rig.broker.status().loggedIn).toBe(true);
    expect(rig.bus.of('logout')).toEqual([]);
    rig.online = true;
    await expect(rig.broker.refresh('explicit')).resolves.toMatchObject({ generation: 2 });
  });

  it('going offline after a failed attempt stops retrying with `offline`', async () => {
    const rig = new Rig({ config: { maxRefreshAttempts: 5 } });
    await rig.login();
    rig.backend.replies.push(() => {
      rig.online = false;
      throw new TypeError('fetch failed');
    });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'offline' });
    expect(rig.backend.refreshCount).toBe(1);
    expect(await rig.stored()).not.toBeNull();
  });

  it('a lock that cannot be acquired is transient, never a logout', async () => {
    const rig = new Rig({
      lock: () =>
        Promise.reject(new TokenBrokerError('refresh-unavailable', 'timed out waiting for the refresh lock')),
      config: { maxRefreshAttempts: 2 },
    });
    await rig.store.write({
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: null,
      receivedAt: rig.clock.now(),
      generation: 1,
      trigger: 'login',
      lineage: 'l1',
    });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(0);
    expect(await rig.stored()).not.toBeNull();
    expect(rig.bus.of('logout')).toEqual([]);
  });
});

describe('a refresh token is sent again only when its request can no longer be answered', () => {
  it('callers stop waiting at the timeout; the request runs on and its late answer is stored once', async () => {
    const rig = new Rig({ hardCapMs: 10_000 });
    await rig.login();
    const g = gate();
    rig.backend.gate = g.promise;
    await expect(rig.broker.refreshWithin(20, 'explicit')).rejects.toMatchObject({
      code: 'refresh-unavailable',
    });
    // Later callers join the same request instead of sending the token again.
    await expect(rig.broker.refreshWithin(20, 'unauthorized', 1)).rejects.toMatchObject({
      code: 'refresh-unavailable',
    });
    expect(rig.backend.refreshCount).toBe(1);
    expect((await rig.stored())?.inflight).toMatchObject({ instance: rig.broker.instance });
    g.open();
    await rig.broker.settled();
    expect(await rig.stored()).toMatchObject({ generation: 2, refreshToken: rig.backend.refreshToken });
    expect((await rig.stored())?.inflight).toBeUndefined();
    expect(rig.bus.of('refreshed')).toHaveLength(1);
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.backend.reuses).toEqual([]);
  });

  it('another worker version sharing the lock does not send while the first request is out', async () => {
    const rig = new Rig({ hardCapMs: 10_000 });
    await rig.login();
    const other = rig.newBroker({ isolated: true });
    await other.ready();
    const g = gate();
    rig.backend.gate = g.promise;
    const first = rig.broker.refresh('explicit');
    await until(() => rig.backend.refreshCount === 1);
    const second = other.refresh('unauthorized', 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(rig.backend.refreshCount).toBe(1);
    g.open();
    await Promise.all([first, second]);
    expect(rig.backend.refreshCount).toBe(1);
    expect(other.currentSession()).toMatchObject({ generation: 2 });
  });

  const deadAttempt = async (rig: Rig, ageMs: number) => {
    await rig.login();
    const stored = (await rig.stored())!;
    await rig.store.write({
      ...stored,
      inflight: { id: 'dead:1', startedAt: rig.clock.now() - ageMs, instance: 'dead' },
    });
    return rig.newBroker();
  };

  it('a restarted worker with a shared lock resends: the old request can no longer be answered', async () => {
    const rig = new Rig();
    const restarted = await deadAttempt(rig, 1000);
    await restarted.refresh('explicit');
    expect(rig.backend.refreshCount).toBe(1);
    expect((await rig.stored())?.inflight).toBeUndefined();
  });

  it('without Web Locks, a younger record from another worker blocks the send; one older than the hard cap does not', async () => {
    const rig = new Rig({ lock: noLock, hardCapMs: 60_000 });
    const restarted = await deadAttempt(rig, 1000);
    await expect(restarted.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(0);
    rig.clock.t += 60_000; // the record is now older than the hard cap
    await restarted.refresh('explicit');
    expect(rig.backend.refreshCount).toBe(1);
  });
});

describe('backoff belongs to a login lineage, and the network coming back ends it', () => {
  it('a long Retry-After cooldown does not outlive the session: a new login refreshes at once', async () => {
    const rig = new Rig();
    await rig.login();
    rig.backend.replies.push({ status: 429, headers: { 'Retry-After': '600' } });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({
      code: 'refresh-unavailable',
      retryAfter: 600,
    });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(1); // cooling down: no network call
    await rig.broker.logout();
    await rig.login();
    await rig.broker.refresh('explicit');
    expect(rig.backend.refreshCount).toBe(2);
  });

  it('evidence that the network is back (a response through the worker) ends our own backoff, not a server Retry-After', async () => {
    const rig = new Rig({
      config: { maxRefreshAttempts: 1, backoff: { initialSeconds: 20, maxSeconds: 30 } },
    });
    await rig.login();
    rig.backend.replies.push('network');
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    rig.broker.networkBack();
    const sleeps = rig.clock.sleeps.length;
    await rig.broker.refresh('explicit');
    expect(rig.clock.sleeps.length).toBe(sleeps); // no backoff sleep before the second attempt
    rig.backend.replies.push({ status: 503, headers: { 'Retry-After': '25' } });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    rig.broker.networkBack();
    await rig.broker.refresh('explicit');
    expect(rig.clock.sleeps.at(-1)).toBeGreaterThanOrEqual(25_000);
  });

  it('offline is reported once per transition, not once per failed refresh', async () => {
    const rig = new Rig();
    await rig.login();
    rig.online = false;
    for (let i = 0; i < 5; i++)
      await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'offline' });
    expect(rig.bus.of('error')).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'offline' }) },
    ]);
    rig.online = true;
    rig.broker.networkBack();
    rig.online = false;
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'offline' });
    expect(rig.bus.of('error')).toHaveLength(2);
  });
});

describe('without Web Locks, the in-flight record is the lock', () => {
  it('two worker versions racing at the due moment send one refresh; the other waits, then adopts its answer', async () => {
    const rig = new Rig({ lock: noLock, hardCapMs: 10_000 });
    await rig.login();
    const other = rig.newBroker({ isolated: true });
    await other.ready();
    const g = gate();
    rig.backend.gate = g.promise;
    rig.clock.t += 3600_000; // due for both
    const first = rig.broker.refresh('proactive');
    const second = other.refresh('unauthorized', 1);
    // The loser finds the winner's lease, sends nothing and gives up after its attempts.
    await expect(second).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(1);
    g.open();
    await first;
    await expect(other.refresh('unauthorized', 1)).resolves.toMatchObject({ generation: 2 });
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.backend.reuses).toEqual([]);
  });
});
