import { describe, expect, it } from 'vitest';
import { ERROR_HEADER } from '../../shared/protocol.js';
import { UNAUTHORIZED_REFRESH_BUDGET, UnauthorizedPolicy } from '../../sw/unauthorized-policy.js';
import { apiRequest, Rig } from './harness.js';

/** A rig whose `/api/forbidden` answers 401 to every token, while other paths accept the current one. */
async function alwaysUnauthorizedRig(): Promise<Rig> {
  const rig = new Rig();
  await rig.login();
  const healthy = rig.backend.api;
  rig.backend.api = (request, body) =>
    new URL(request.url).pathname === '/api/forbidden'
      ? Response.json({ error: 'invalid_token' }, { status: 401 })
      : healthy(request, body);
  return rig;
}

describe('a 401 a fresh token does not cure never buys another refresh', () => {
  it('20 sequential requests to an always-401 path cost one refresh; a healthy path keeps working', async () => {
    const rig = await alwaysUnauthorizedRig();
    const codes: Array<string | null> = [];
    for (let i = 0; i < 20; i++) {
      const res = await rig.forward(apiRequest('/api/forbidden'));
      expect(res.status).toBe(401);
      codes.push(res.headers.get(ERROR_HEADER));
      expect((await rig.forward(apiRequest('/api/ok'))).status).toBe(200);
    }
    expect(rig.backend.refreshCount).toBe(1);
    expect(codes[0]).toBeNull(); // the first one was a real attempt: the replay's own 401
    expect(codes.slice(1)).toEqual(Array(19).fill('unauthorized-after-refresh'));
    expect(rig.bus.of('logout')).toEqual([]);
  });

  it('20 parallel requests to it cost one refresh', async () => {
    const rig = await alwaysUnauthorizedRig();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => rig.forward(apiRequest('/api/forbidden'))),
    );
    expect(responses.every((r) => r.status === 401)).toBe(true);
    await Promise.all(Array.from({ length: 20 }, () => rig.forward(apiRequest('/api/forbidden'))));
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('a proactive refresh (a token changed for another reason) gives 401s one more chance', async () => {
    const rig = await alwaysUnauthorizedRig();
    await rig.forward(apiRequest('/api/forbidden'));
    await rig.broker.refresh('proactive');
    await rig.forward(apiRequest('/api/forbidden'));
    expect(rig.backend.refreshCount).toBe(3);
  });

  it('a login starts clean', async () => {
    const rig = await alwaysUnauthorizedRig();
    await rig.forward(apiRequest('/api/forbidden'));
    await rig.login();
    await rig.forward(apiRequest('/api/forbidden'));
    expect(rig.backend.refreshCount).toBe(2);
  });
});

describe('the budget of 401-triggered refreshes', () => {
  it(`allows ${UNAUTHORIZED_REFRESH_BUDGET.max} per lineage per minute, then passes 401s through marked and tells the app once`, async () => {
    const rig = new Rig();
    await rig.login();
    // Each 401 is cured by its refresh (so the uncured rule never applies): only the budget stops them.
    const statuses: number[] = [];
    for (let i = 0; i < UNAUTHORIZED_REFRESH_BUDGET.max + 2; i++) {
      rig.backend.accessToken = `revoked-${i}`;
      const res = await rig.forward(apiRequest('/api/data'));
      statuses.push(res.status);
    }
    expect(rig.backend.refreshCount).toBe(UNAUTHORIZED_REFRESH_BUDGET.max);
    expect(statuses).toEqual([200, 200, 200, 401, 401]);
    expect(rig.bus.of('error')).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'refresh-budget-exceeded' }) },
    ]);
    rig.clock.t += UNAUTHORIZED_REFRESH_BUDGET.windowMs;
    rig.backend.accessToken = 'revoked-again';
    expect((await rig.forward(apiRequest('/api/data'))).status).toBe(200);
    expect(rig.backend.refreshCount).toBe(UNAUTHORIZED_REFRESH_BUDGET.max + 1);
  });

  it('the policy on its own: uncured marks apply to that token and newer ones of the lineage only', () => {
    let t = 0;
    const policy = new UnauthorizedPolicy(() => t);
    policy.recordNotCured({ lineage: 'a', generation: 2 });
    expect(policy.decide({ lineage: 'a', generation: 1 })).toBe('refresh');
    expect(policy.decide({ lineage: 'a', generation: 2 })).toBe('unauthorized-after-refresh');
    expect(policy.decide({ lineage: 'b', generation: 5 })).toBe('refresh');
    policy.recordNewToken({ lineage: 'a', trigger: 'proactive' });
    expect(policy.decide({ lineage: 'a', generation: 3 })).toBe('refresh');
    for (let i = 0; i < UNAUTHORIZED_REFRESH_BUDGET.max; i++) policy.recordRefresh('a');
    expect(policy.decide({ lineage: 'a', generation: 3 })).toBe('refresh-budget-exceeded');
    t += UNAUTHORIZED_REFRESH_BUDGET.windowMs + 1;
    expect(policy.decide({ lineage: 'a', generation: 3 })).toBe('refresh');
  });
});
