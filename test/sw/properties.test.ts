import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isTokenBrokerError } from '../../shared/errors.js';
import { ERROR_HEADER } from '../../shared/protocol.js';
import type { Broker } from '../../sw/broker.js';
import { apiRequest, Rig, within, type TokenReply } from './harness.js';

/*
 * Random interleavings of everything that can trigger or disturb a refresh, against a
 * server that rotates refresh tokens and revokes the whole family on reuse.
 */

type Fault = 'slow' | 'status500' | 'hang' | 'network' | 'garbage' | 'revoked';

type Op =
  | { kind: 'request'; on: number }
  | { kind: 'proactive'; advanceMs: number }
  | { kind: 'explicit'; on: number }
  | { kind: 'restart'; deaf: boolean }
  | { kind: 'expire-access' }
  | { kind: 'fault'; fault: Fault };

type Step = { op: Op; gap: number };

const replyFor: Record<Fault, TokenReply> = {
  slow: 'slow',
  status500: { status: 500, body: { error: 'server_error' } },
  hang: 'hang',
  network: 'network',
  garbage: () => new Response('<html>maintenance</html>', { status: 200 }),
  revoked: 'revoked',
};

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('request' as const), on: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('proactive' as const),
      advanceMs: fc.integer({ min: 0, max: 4_000_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('explicit' as const), on: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), deaf: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'expire-access' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      fault: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom<Fault>('slow', 'status500', 'hang', 'network', 'garbage') },
        { weight: 1, arbitrary: fc.constant<Fault>('revoked') },
      ),
    }),
  },
);

const scenarioArb = fc.array(fc.record({ op: opArb, gap: fc.nat(3) }), { minLength: 1, maxLength: 14 });

type Outcome =
  | { kind: 'response'; status: number; code: string | null }
  | { kind: 'refresh'; error: unknown }
  | { kind: 'thrown'; error: unknown };

const tick = () => new Promise((r) => setImmediate(r));

async function runScenario(steps: Step[]) {
  const rig = new Rig({
    config: {
      refreshTimeoutSeconds: 0.03,
      requestWaitSeconds: 2,
      maxRefreshAttempts: 2,
      backoff: { initialSeconds: 0.01, maxSeconds: 0.05 },
    },
    // A hanging token endpoint is abandoned (its answer lost) after 30 ms of real time.
    hardCapMs: 30,
  });
  await rig.login();
  const brokers: Broker[] = [rig.broker];
  let current = rig.broker;
  let expired = 0;
  const outcomes: Array<Promise<Outcome>> = [];
  const pick = (on: number): Broker => brokers[on % brokers.length] ?? current;

  for (const { op, gap } of steps) {
    switch (op.kind) {
      case 'request':
        outcomes.push(
          rig.forward(apiRequest(`/api/r${outcomes.length}`), pick(op.on)).then(
            (res) => ({ kind: 'response', status: res.status, code: res.headers.get(ERROR_HEADER) }),
            (error: unknown) => ({ kind: 'thrown', error }),
          ),
        );
        break;
      case 'explicit':
        outcomes.push(
          pick(op.on)
            .refresh('explicit')
            .then(
              () => ({ kind: 'refresh', error: undefined }),
              (error: unknown) => ({ kind: 'refresh', error }),
            ),
        );
        break;
      case 'proactive':
        rig.clock.t += op.advanceMs;
        outcomes.push(
          current.refreshIfDue().then(
            () => ({ kind: 'refresh', error: undefined }),
            (error: unknown) => ({ kind: 'thrown', error }),
          ),
        );
        break;
      case 'restart':
        // A fresh worker over the same IndexedDB and lock; the old one may still finish what it
        // started. A deaf one misses every broadcast (a lost or late message): only IndexedDB tells it.
        current = rig.newBroker({ isolated: op.deaf });
        brokers.push(current);
        break;
      case 'expire-access':
        rig.backend.accessToken = `expired-${++expired}`;
        break;
      case 'fault':
        rig.backend.replies.push(replyFor[op.fault]);
        break;
    }
    for (let i = 0; i < gap; i++) await tick();
  }
  const settled = await within(Promise.all(outcomes), 8_000, 'every request and refresh');
  await within(Promise.all(rig.pending), 8_000, 'waitUntil work');
  return { rig, settled, brokers };
}

async function checkInvariants(steps: Step[]): Promise<void> {
  const { rig, settled } = await runScenario(steps);
  const { backend, bus } = rig;

  // Never two refresh requests carrying the same refresh token (the server never saw reuse),
  // and never a refresh token the server had already rotated away.
  expect(backend.reuses).toEqual([]);
  expect(backend.stale).toEqual([]);
  expect(new Set(backend.committed).size).toBe(backend.committed.length);

  // Never a logout without a definitive rejection; a definitive rejection always ends the session.
  const logouts = bus.of('logout');
  const stored = await rig.stored();
  if (backend.revokedServed === 0) {
    expect(logouts).toEqual([]);
    expect(stored).not.toBeNull();
    // The session the worker keeps is the one the server will accept next.
    expect(stored?.refreshToken).toBe(backend.refreshToken);
    expect(stored?.generation).toBe(1 + backend.committed.length);
  } else {
    expect(logouts).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
    expect(stored).toBeNull();
  }

  // Every request ends in a response or a defined error.
  for (const outcome of settled) {
    if (outcome.kind === 'thrown') throw new Error(`an operation threw: ${String(outcome.error)}`);
    if (outcome.kind === 'response') {
      expect([200, 401, 503]).toContain(outcome.status);
      if (outcome.status === 503) expect(ERROR_CODES).toContain(outcome.code);
    } else if (outcome.error !== undefined) {
      expect(isTokenBrokerError(outcome.error)).toBe(true);
    }
  }
}

const seed = Number(process.env.FC_SEED ?? 0x5eed);

describe('refresh invariants under random interleavings', () => {
  it('hold for 401s, proactive and explicit refreshes, faults and worker restarts', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, checkInvariants), {
      numRuns: Number(process.env.FC_RUNS ?? 60),
      seed,
      endOnFailure: true,
    });
  }, 60_000);

  it('hold in a scenario that hits every path at once', async () => {
    const steps: Step[] = [
      { op: { kind: 'fault', fault: 'hang' }, gap: 0 },
      { op: { kind: 'fault', fault: 'slow' }, gap: 0 },
      { op: { kind: 'expire-access' }, gap: 0 },
      ...Array.from({ length: 4 }, (_, i) => ({ op: { kind: 'request' as const, on: i }, gap: 0 })),
      { op: { kind: 'restart', deaf: true }, gap: 1 },
      { op: { kind: 'explicit', on: 1 }, gap: 0 },
      { op: { kind: 'proactive', advanceMs: 3_600_000 }, gap: 2 },
      { op: { kind: 'expire-access' }, gap: 0 },
      { op: { kind: 'request', on: 0 }, gap: 3 },
      { op: { kind: 'fault', fault: 'revoked' }, gap: 0 },
      { op: { kind: 'explicit', on: 0 }, gap: 0 },
      { op: { kind: 'request', on: 1 }, gap: 0 },
    ];
    await checkInvariants(steps);
  }, 20_000);
});
