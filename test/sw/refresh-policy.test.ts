import { describe, expect, it } from 'vitest';
import { apiRequest, gate, Rig, until, within } from './harness.js';

// The two rules of refresh-policy.ts, side by side: a request waits only when its token is
// useless, a page taking a token away waits for one that lasts.
describe('the refresh policy: who waits for a refresh', () => {
  it('in the lead window a request starts the refresh and goes out at once with the old token; getAccessToken waits for the new one', async () => {
    const rig = new Rig();
    await rig.login(600);
    const old = rig.backend.accessToken;
    rig.clock.t += 590_000;
    const g = gate();
    rig.backend.gate = g.promise;
    // The request starts the refresh and does not wait for it.
    await within(rig.forward(apiRequest()));
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${old}`]);
    const token = rig.broker.getAccessToken();
    await until(() => rig.backend.refreshCount === 1);
    g.open();
    expect(await token).toMatchObject({ generation: 2, accessToken: rig.backend.accessToken });
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('getAccessToken refreshes a token that would not last minValidityMs; a request does not', async () => {
    const rig = new Rig();
    await rig.login(3600);
    await rig.forward(apiRequest());
    expect(rig.backend.refreshCount).toBe(0);
    expect(await rig.broker.getAccessToken(3_000_000)).toMatchObject({ generation: 1 });
    expect(await rig.broker.getAccessToken(3_700_000)).toMatchObject({ generation: 2 });
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('a failed refresh still gives getAccessToken the current token while it is valid, and its error once it is not', async () => {
    const rig = new Rig({ config: { maxRefreshAttempts: 1 } });
    await rig.login(600);
    rig.clock.t += 590_000;
    rig.backend.replies.push({ status: 503 });
    expect(await rig.broker.getAccessToken()).toMatchObject({ generation: 1 });
    rig.clock.t += 20_000;
    rig.backend.replies.push({ status: 503 });
    await expect(rig.broker.getAccessToken()).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(rig.backend.refreshCount).toBe(2);
  });
});
