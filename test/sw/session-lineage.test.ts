import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { ERROR_HEADER } from '../../shared/protocol.js';
import { apiRequest, gate, Rig, until } from './harness.js';

/** Server-side view: which access tokens the API saw, per request path. */
/** Holds every API request carrying the current access token, then answers it 401; others get 200. */
function holdOldToken(rig: Rig) {
  const old = rig.backend.accessToken;
  const held = gate();
  rig.backend.api = async (request) => {
    if (request.headers.get('authorization') === `Bearer ${old}`) {
      await held.promise;
      return Response.json({}, { status: 401 });
    }
    return Response.json({ ok: true });
  };
  return { old, held };
}

const authsFor = (rig: Rig, path: string) =>
  rig.backend.apiCalls.filter((c) => new URL(c.request.url).pathname === path).map((c) => c.auth);

describe('a request belongs to the login that issued it', () => {
  it('keeps one lineage through refreshes, a worker restart and a second worker version', async () => {
    const rig = new Rig();
    await rig.login();
    const lineage = (await rig.stored())!.lineage;
    await rig.broker.refresh('explicit');
    const restarted = rig.newBroker();
    await restarted.refresh('explicit');
    const other = rig.newBroker({ isolated: true });
    await other.ready();
    expect(other.currentSession()?.lineage).toBe(lineage);
    expect(await rig.stored()).toMatchObject({ lineage, generation: 3 });
  });

  it('every login starts a new lineage; a 0.1 record without one is adopted as a lineage of its own', async () => {
    const rig = new Rig();
    await rig.login();
    const first = (await rig.stored())!.lineage;
    await rig.login();
    expect((await rig.stored())!.lineage).not.toBe(first);
    const { lineage: _dropped, ...legacy } = (await rig.stored())!;
    await rig.store.write(legacy as never);
    const upgraded = rig.newBroker();
    await upgraded.refresh('explicit');
    expect(await rig.stored()).toMatchObject({ lineage: 'legacy', generation: 3 });
  });

  it('a held request answered 401 after logout + new login is not replayed under the new login', async () => {
    const rig = new Rig();
    await rig.login();
    const firstToken = rig.backend.accessToken;
    const held = gate();
    rig.backend.api = async (request) => {
      if (new URL(request.url).pathname === '/api/pay') {
        await held.promise;
        return Response.json({ error: 'invalid_token' }, { status: 401 });
      }
      return Response.json({ ok: true });
    };
    const pay = rig.forward(apiRequest('/api/pay', { method: 'POST', body: '{"amount":1}' }));
    await until(() => authsFor(rig, '/api/pay').length === 1);
    await rig.broker.logout();
    await rig.login();
    held.open();
    const res = await pay;
    expect(res.status).toBe(401);
    expect(res.headers.get(ERROR_HEADER)).toBe('session-changed');
    expect(authsFor(rig, '/api/pay')).toEqual([`Bearer ${firstToken}`]);
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('a request waiting for a refresh when the session ends and a new login happens is never sent', async () => {
    const rig = new Rig({ hardCapMs: 10_000 });
    await rig.login();
    rig.clock.t += 3600_000; // expired: requests wait for the refresh
    const g = gate();
    rig.backend.gate = g.promise;
    const waiting = rig.forward(apiRequest('/api/pay', { method: 'POST', body: '{"amount":1}' }));
    await until(() => rig.backend.refreshCount === 1);
    await rig.broker.logout();
    await rig.login();
    g.open();
    const res = await waiting;
    expect(res.status).toBe(401);
    expect(res.headers.get(ERROR_HEADER)).toBe('session-changed');
    expect(authsFor(rig, '/api/pay')).toEqual([]);
  });

  it('a page-side caller of an ended login gets session-changed, not the new login’s token', async () => {
    const rig = new Rig();
    await rig.login();
    const old = { generation: 1, lineage: rig.broker.currentSession()!.lineage };
    await rig.login();
    await expect(rig.broker.refresh('unauthorized', old)).rejects.toMatchObject({ code: 'session-changed' });
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('a late 401 within the same lineage is still replayed with the current token', async () => {
    const rig = new Rig();
    await rig.login();
    const { held } = holdOldToken(rig);
    const late = rig.forward(apiRequest('/api/late'));
    await until(() => rig.backend.apiCalls.length === 1);
    await rig.broker.refresh('explicit');
    held.open();
    expect((await late).status).toBe(200);
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('a 0.1.0 worker refreshing the session meanwhile (a rollback) keeps a held request in its login: the late 401 is replayed', async () => {
    const rig = new Rig();
    await rig.login();
    const { old, held } = holdOldToken(rig);
    const late = rig.forward(apiRequest('/api/late'));
    await until(() => rig.backend.apiCalls.length === 1);
    // 0.1.0 rotates and writes the record as it knows it (no lineage, no schema), then says so.
    const pair = rig.backend.issue();
    const db = await openDB(rig.db.name, 1);
    await db.put(
      'session',
      {
        ...pair,
        expiresAt: rig.clock.t + 3_600_000,
        receivedAt: rig.clock.t,
        generation: 2,
        trigger: 'proactive',
      },
      'current',
    );
    db.close();
    rig.bus.endpoint().post({ type: 'refreshed', generation: 2, expiresIn: 3_600_000, trigger: 'proactive' });
    await until(() => rig.broker.currentSession()?.generation === 2);
    held.open();
    const res = await late;
    expect(res.headers.get(ERROR_HEADER)).toBeNull();
    expect(res.status).toBe(200);
    expect(authsFor(rig, '/api/late')).toEqual([`Bearer ${old}`, `Bearer ${pair.accessToken}`]);
    expect(rig.backend.refreshCount).toBe(0);
  });
});
