// Issue 27 (1): a refresh token the server has rotated is never lost. The token endpoint rotates
// and answers 200 with a valid new refresh token, but `expires_in` is unusable: the broker keeps
// the new token (expiry from the JWT instead), reports the flaw once, and the next refresh sends
// the new token: no reuse, no logout.
import { expect, test } from './fixtures.js';
import { recordedEvents, recordEvents } from './harness/events.js';
import { readStoredSession } from './harness/storage.js';
import { onlyFamily } from './harness/server-counters.js';
import { brokerCall, callMe, loginThroughForm, openDemo } from './harness/tabs.js';

const BAD_EXPIRIES: Array<[string, unknown]> = [
  ['0', 0],
  ['400 days', 400 * 86_400],
  ['"3600s"', '3600s'],
];

for (const [name, expiresIn] of BAD_EXPIRIES) {
  test(`a rotated answer with expires_in ${name} keeps the session; the next refresh uses the new token`, async ({
    context,
    server,
  }) => {
    const page = await openDemo(context, server, { backoff: 0.1, panelPoll: 0 });
    await loginThroughForm(page);
    await recordEvents(page);
    server.control.injectRefreshFaults([{ kind: 'bad-expiry', expiresIn }]);

    const first = await brokerCall(page, 'refresh');
    expect(first, JSON.stringify(first)).toMatchObject({
      ok: true,
      value: { loggedIn: true, generation: 2 },
    });
    await expect
      .poll(() => recordedEvents(page, 'error'))
      .toEqual([expect.objectContaining({ code: 'invalid-token-response' })]);
    // The JWT's own expiry stands in for the refused expires_in (the demo's tokens live 60 s; the
    // server's whole-second Date header may add up to 1 s).
    const status = (await brokerCall(page, 'status')) as { value: { expiresIn: number | null } };
    expect(status.value.expiresIn).toBeGreaterThan(50_000);
    expect(status.value.expiresIn).toBeLessThanOrEqual(61_000);
    expect(await callMe(page, 'fetch')).toMatchObject({ user: 'demo', generation: 2 });

    const second = await brokerCall(page, 'refresh');
    expect(second, JSON.stringify(second)).toMatchObject({ ok: true, value: { generation: 3 } });
    expect(await callMe(page, 'axios')).toMatchObject({ generation: 3 });

    const counters = server.control.counters();
    expect(counters).toMatchObject({ refreshCalls: 2, rotations: 2, reuseDetections: 0, invalidGrants: 0 });
    expect(onlyFamily(counters)).toMatchObject({ revoked: false, generation: 3 });
    expect(await recordedEvents(page, 'logout')).toEqual([]);
    expect(await recordedEvents(page, 'error')).toHaveLength(1);
    expect(await readStoredSession(page)).toEqual({
      kind: 'session',
      generation: 3,
      complete: true,
      inflight: false,
    });
  });
}
