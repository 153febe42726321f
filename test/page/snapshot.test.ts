import { describe, expect, it } from 'vitest';
import { TokenBrokerError } from '../../shared/errors.js';
import type { BrokerStatus } from '../../shared/protocol.js';
import { createSnapshotStore, LOADING, type SessionSnapshot } from '../../src/snapshot.js';

const identity = { sub: 'user-1', claims: { sub: 'user-1', email: 'a@example.com' } };
const status = (over: Partial<BrokerStatus> = {}): BrokerStatus => ({
  loggedIn: true,
  generation: 1,
  expiresIn: 60_000,
  refreshDueIn: 45_000,
  lastRefresh: null,
  configured: true,
  workerInstance: 'w',
  identity,
  ...over,
});

function store(now = () => 1_000) {
  const changes: SessionSnapshot[] = [];
  return { changes, snapshot: createSnapshotStore((s) => changes.push(s), now) };
}

describe('session snapshot', () => {
  it('says loading until the first status, then authenticated with sub, claims and page-clock expiry', async () => {
    const { changes, snapshot } = store();
    expect(snapshot.get()).toBe(LOADING);
    await snapshot.track(Promise.resolve(status()));
    expect(snapshot.get()).toEqual({
      status: 'authenticated',
      sub: 'user-1',
      claims: identity.claims,
      generation: 1,
      expiresAt: 61_000,
    });
    expect(Object.isFrozen(snapshot.get())).toBe(true);
    expect(changes).toEqual([snapshot.get()]);
  });

  it('keeps the same object (no change event) when an answer changes nothing, even as expiresIn ticks down', async () => {
    let t = 1_000;
    const { changes, snapshot } = store(() => t);
    await snapshot.track(Promise.resolve(status()));
    const first = snapshot.get();
    t += 5_000;
    await snapshot.track(Promise.resolve(status({ expiresIn: 55_000 })));
    expect(snapshot.get()).toBe(first);
    expect(changes).toHaveLength(1);
  });

  it('follows broadcasts: login, refresh and logout each give one new snapshot', () => {
    const { changes, snapshot } = store();
    snapshot.fromBroadcast({ type: 'session', generation: 3, expiresIn: 60_000, identity });
    snapshot.fromBroadcast({
      type: 'refreshed',
      generation: 4,
      expiresIn: 60_000,
      trigger: 'proactive',
      identity: { sub: 'user-1', claims: { sub: 'user-1', roles: ['admin'] } },
    });
    snapshot.fromBroadcast({ type: 'error', error: { code: 'refresh-unavailable', message: 'x' } });
    snapshot.fromBroadcast({ type: 'logout', reason: 'user-logout' });
    expect(changes.map((c) => [c.status, c.generation, c.claims])).toEqual([
      ['authenticated', 3, identity.claims],
      ['authenticated', 4, { sub: 'user-1', roles: ['admin'] }],
      ['unauthenticated', 0, null],
    ]);
  });

  it('drops a call answer that started before a broadcast (a slow status cannot undo a logout)', async () => {
    const { snapshot } = store();
    snapshot.fromBroadcast({ type: 'session', generation: 1, expiresIn: 60_000, identity });
    let answer!: (s: BrokerStatus) => void;
    const slow = snapshot.track(new Promise<BrokerStatus>((r) => (answer = r)));
    snapshot.fromBroadcast({ type: 'logout', reason: 'user-logout' });
    answer(status());
    await expect(slow).resolves.toMatchObject({ loggedIn: true });
    expect(snapshot.get().status).toBe('unauthenticated');
  });

  it('fills in the identity a broadcast of an older worker lacked from the next status, keeping it across identity-less news', async () => {
    const { snapshot } = store();
    snapshot.fromBroadcast({ type: 'session', generation: 2, expiresIn: 60_000 });
    expect(snapshot.get()).toMatchObject({ status: 'authenticated', sub: null, claims: null });
    await snapshot.track(Promise.resolve(status({ generation: 2, identity: undefined })));
    expect(snapshot.get().claims).toBeNull();
    await snapshot.track(Promise.resolve(status({ generation: 2 })));
    expect(snapshot.get()).toMatchObject({ sub: 'user-1', claims: identity.claims });
  });

  it('stops loading when no worker will answer, but not on a mere timeout', async () => {
    const timeout = store();
    await expect(
      timeout.snapshot.track(Promise.reject(new TokenBrokerError('worker-timeout'))),
    ).rejects.toThrow();
    expect(timeout.snapshot.get().status).toBe('loading');
    await expect(
      timeout.snapshot.track(Promise.reject(new TokenBrokerError('worker-unavailable'))),
    ).rejects.toThrow();
    expect(timeout.snapshot.get().status).toBe('unauthenticated');
    const none = store();
    none.snapshot.unavailable();
    expect(none.snapshot.get().status).toBe('unauthenticated');
  });
});

describe('session snapshot across logins', () => {
  it('shows the new user when a status of the same generation names another sub (a logout this tab missed)', async () => {
    const { changes, snapshot } = store();
    await snapshot.track(Promise.resolve(status()));
    const grace = { sub: 'user-2', claims: { sub: 'user-2', email: 'g@example.com' } };
    await snapshot.track(Promise.resolve(status({ identity: grace })));
    expect(changes.map((c) => c.sub)).toEqual(['user-1', 'user-2']);
    expect(snapshot.get().claims).toEqual(grace.claims);
  });
});
