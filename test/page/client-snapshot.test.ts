import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CHANNEL } from '../../shared/protocol.js';
import { registerTokenBroker, type TokenBrokerClient } from '../../src/client.js';
import type { SessionSnapshot } from '../../src/snapshot.js';
import { APP } from './fake-source.js';

// The client's snapshot over a real BroadcastChannel; Node has no service worker, so the
// first status never comes and the broadcasts alone must carry the snapshot.

let client: TokenBrokerClient;
let worker: BroadcastChannel;

beforeEach(async () => {
  vi.stubGlobal('location', new URL(`${APP}/app/`));
  worker = new BroadcastChannel(DEFAULT_CHANNEL);
  client = await registerTokenBroker({ callTimeoutMs: 200 });
});

afterEach(() => {
  client.destroy();
  worker.close();
  vi.unstubAllGlobals();
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('snapshot() and the change event', () => {
  it('are unauthenticated at once without a worker, then follow login, refresh and logout broadcasts', async () => {
    expect(client.snapshot()).toMatchObject({ status: 'unauthenticated', sub: null });
    const changes: SessionSnapshot[] = [];
    client.on('change', (snapshot) => changes.push(snapshot));
    const identity = { sub: 'user-2', claims: { sub: 'user-2', name: 'Grace' } };
    worker.postMessage({ type: 'session', generation: 1, expiresIn: 60_000, identity });
    await until(() => changes.length === 1);
    expect(client.snapshot()).toBe(changes[0]);
    expect(client.snapshot()).toMatchObject({ status: 'authenticated', sub: 'user-2', generation: 1 });
    worker.postMessage({
      type: 'refreshed',
      generation: 2,
      expiresIn: 60_000,
      trigger: 'proactive',
      identity,
    });
    await until(() => changes.length === 2);
    // A malformed identity is not a broker message: ignored, no change.
    worker.postMessage({ type: 'session', generation: 9, expiresIn: 1, identity: { sub: 5, claims: {} } });
    worker.postMessage({ type: 'logout', reason: 'user-logout' });
    await until(() => changes.length === 3);
    expect(changes.map((c) => [c.status, c.generation, c.sub])).toEqual([
      ['authenticated', 1, 'user-2'],
      ['authenticated', 2, 'user-2'],
      ['unauthenticated', 0, null],
    ]);
  });
});
