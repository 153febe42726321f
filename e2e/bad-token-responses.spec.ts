// Scenario 12 (issue 6): the token endpoint answers 200 with a body the broker must refuse.
// Each variant in turn: a typed error reaches the page, the previous session stays intact and
// usable, the worker keeps running, and the next healthy refresh works.
import { MALFORMED_VARIANTS } from '../demo/server/index.js';
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { readStoredSession } from './harness/storage.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';

const VARIANTS = MALFORMED_VARIANTS;

type Status = { loggedIn: boolean; generation: number; workerInstance: string };

for (const variant of VARIANTS) {
  test(`malformed refresh answer "${variant}": typed error, old session intact, next refresh works`, async ({
    context,
    server,
  }) => {
    // A short backoff so the healthy refresh right after the bad one is not held back long.
    const page = await openDemo(context, server, { backoff: 0.1 });
    await loginThroughForm(page);
    await recordEvents(page);
    const before = await brokerCall(page, 'status');
    expect(before).toMatchObject({ ok: true, value: { loggedIn: true, generation: 1 } });
    const instance = (before as { value: Status }).value.workerInstance;

    server.control.reset();
    server.control.injectRefreshFaults([{ kind: 'malformed', variant }]);
    const failed = await brokerCall(page, 'refresh');
    expect(failed).toMatchObject({ ok: false, name: 'TokenBrokerError', code: 'invalid-token-response' });
    await expect
      .poll(() => recordedEvents(page, 'error'))
      .toEqual([expect.objectContaining({ code: 'invalid-token-response' })]);
    expect(server.control.counters()).toMatchObject({ refreshCalls: 1, rotations: 0 });

    // The previous session is untouched: stored, reported and still accepted by the server.
    expect(await readStoredSession(page)).toEqual({
      kind: 'session',
      generation: 1,
      complete: true,
      inflight: false,
    });
    expect(await brokerCall(page, 'status')).toMatchObject({
      ok: true,
      value: { loggedIn: true, generation: 1, workerInstance: instance },
    });
    expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 1 });

    // The next healthy refresh rotates once and its token works.
    const healed = await brokerCall(page, 'refresh');
    expect(healed, JSON.stringify(healed)).toMatchObject({
      ok: true,
      value: { loggedIn: true, generation: 2 },
    });
    expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 2 });
    expect(await callMe(page, 'axios')).toMatchObject({ user: 'demo', generation: 2 });
    expect(await readStoredSession(page)).toEqual({
      kind: 'session',
      generation: 2,
      complete: true,
      inflight: false,
    });

    const counters = server.control.counters();
    expect(counters).toMatchObject({
      refreshCalls: 2,
      rotations: 1,
      reuseDetections: 0,
      invalidGrants: 0,
      unauthorized: 0,
    });
    // No request ever went out with the refused (throwaway-key) token.
    expect(counters.requests.filter((r) => r.authorization && r.generation === null)).toEqual([]);
    expect(await recordedEvents(page, 'logout')).toEqual([]);
    expect(await recordedEvents(page, 'error')).toHaveLength(1);
    // Same worker instance throughout: nothing crashed or restarted it.
    expect(await brokerCall(page, 'status')).toMatchObject({ ok: true, value: { workerInstance: instance } });
  });
}

test('all malformed answers in a row on one session, then a healthy refresh', async ({ context, server }) => {
  const page = await openDemo(context, server, { backoff: 0.1 });
  await loginThroughForm(page);
  await recordEvents(page);
  server.control.reset();
  server.control.injectRefreshFaults(VARIANTS.map((variant) => ({ kind: 'malformed' as const, variant })));
  for (const variant of VARIANTS) {
    const failed = await brokerCall(page, 'refresh');
    expect(failed, variant).toMatchObject({ ok: false, code: 'invalid-token-response' });
    expect(await callMe(page, 'fetch'), variant).toMatchObject({ generation: 1 });
  }
  await expect.poll(() => recordedEvents(page, 'error')).toHaveLength(VARIANTS.length);
  expect((await recordedEvents(page, 'error')).every((e) => e.code === 'invalid-token-response')).toBe(true);
  expect(await brokerCall(page, 'refresh')).toMatchObject({ ok: true, value: { generation: 2 } });
  expect(await callMe(page, 'fetch')).toMatchObject({ generation: 2 });
  expect(server.control.counters()).toMatchObject({
    refreshCalls: VARIANTS.length + 1,
    rotations: 1,
    reuseDetections: 0,
    unauthorized: 0,
  });
  expect(await readStoredSession(page)).toEqual({
    kind: 'session',
    generation: 2,
    complete: true,
    inflight: false,
  });
});
