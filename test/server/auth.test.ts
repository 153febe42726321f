import { describe, expect, it } from 'vitest';
import { claimsOf, getWith, login, refreshForm, refreshJson, rotate, start } from './helpers.js';

describe('POST /api/auth/login', () => {
  it('starts a new family at generation 1 for the demo credentials (JSON)', async () => {
    const server = await start({ accessTtlSeconds: 2.5 });
    const tokens = await login(server);
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBe(2.5);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = claimsOf(tokens.access_token);
    expect(claims).toMatchObject({ sub: 'demo', gen: 1 });
    expect(claims.exp as number).toBeCloseTo((claims.iat as number) + 2.5, 5);
    const counters = server.control.counters();
    expect(counters.logins).toBe(1);
    expect(counters.families[claims.fam as string]).toEqual({
      generation: 1,
      refreshCalls: 0,
      rotations: 0,
      revoked: false,
    });
  });

  it('accepts a form-encoded body', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'demo', password: 'demo' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { access_token: string }).access_token.split('.')).toHaveLength(3);
  });

  it('answers 401 invalid_credentials for a wrong password', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'demo', password: 'nope' }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_credentials' });
    expect(server.control.counters().logins).toBe(0);
  });

  it('gives every login its own family', async () => {
    const server = await start();
    const a = claimsOf((await login(server)).access_token).fam;
    const b = claimsOf((await login(server)).access_token).fam;
    expect(a).not.toBe(b);
    expect(Object.keys(server.control.counters().families).sort()).toEqual([a, b].sort());
  });
});

describe('POST /api/auth/refresh', () => {
  it('rotates with a JSON body: new tokens, generation + 1', async () => {
    const server = await start();
    const first = await login(server);
    const res = await refreshJson(server, first.refresh_token);
    expect(res.status).toBe(200);
    const next = (await res.json()) as typeof first;
    expect(next.refresh_token).not.toBe(first.refresh_token);
    expect(next.token_type).toBe('Bearer');
    expect(claimsOf(next.access_token)).toMatchObject({ gen: 2, fam: claimsOf(first.access_token).fam });
    const me = await getWith(server, '/api/me', next.access_token);
    expect(await me.json()).toMatchObject({ user: 'demo', generation: 2 });
  });

  it('rotates with the OAuth form body (grant_type, client_id ignored)', async () => {
    const server = await start();
    const first = await login(server);
    const res = await refreshForm(server, first.refresh_token);
    expect(res.status).toBe(200);
    expect(claimsOf(((await res.json()) as typeof first).access_token).gen).toBe(2);
  });

  it('treats a second use of a rotated token as reuse and kills the whole family', async () => {
    const server = await start();
    const first = await login(server);
    const second = await rotate(server, first.refresh_token);
    const fam = claimsOf(first.access_token).fam as string;

    const reuse = await refreshJson(server, first.refresh_token);
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'refresh token reuse detected',
    });

    // The legitimate newest token and its access token die with the family.
    expect((await refreshJson(server, second.refresh_token)).status).toBe(401);
    expect((await getWith(server, '/api/me', second.access_token)).status).toBe(401);

    const counters = server.control.counters();
    expect(counters).toMatchObject({
      rotations: 1,
      reuseDetections: 1,
      invalidGrants: 2,
      revocations: 1,
      refreshCalls: 3,
    });
    expect(counters.families[fam]).toEqual({
      generation: 2,
      refreshCalls: 3,
      rotations: 1,
      revoked: true,
      reason: 'reuse-detected',
    });
  });

  it('keeps generations increasing over many rotations', async () => {
    const server = await start();
    let tokens = await login(server);
    for (let i = 0; i < 5; i++) tokens = await rotate(server, tokens.refresh_token);
    expect(claimsOf(tokens.access_token).gen).toBe(6);
    expect(Object.values(server.control.counters().families)[0]).toMatchObject({
      generation: 6,
      rotations: 5,
    });
  });

  it('serialises two concurrent uses of one token: one rotation, one reuse', async () => {
    const server = await start();
    server.control.setRefreshLatency({ beforeMs: 50 });
    const first = await login(server);
    const answers = await Promise.all([
      refreshJson(server, first.refresh_token),
      refreshJson(server, first.refresh_token),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(server.control.counters()).toMatchObject({ rotations: 1, reuseDetections: 1 });
  });

  it('answers 401 invalid_grant for an unknown token and 400 invalid_request without one', async () => {
    const server = await start();
    const unknown = await refreshJson(server, 'not-a-token');
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_grant');
    const missing = await fetch(`${server.url}/api/auth/refresh`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token' }),
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
    expect(server.control.counters()).toMatchObject({ refreshCalls: 2, invalidGrants: 1 });
  });

  it('rejects another grant type', async () => {
    const server = await start();
    const first = await login(server);
    const res = await fetch(`${server.url}/api/auth/refresh`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', refresh_token: first.refresh_token }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'unsupported_grant_type' });
    expect((await refreshJson(server, first.refresh_token)).status).toBe(200);
  });
});

describe('revocation', () => {
  it('POST /api/auth/revoke (form token=) revokes the family and always answers 200', async () => {
    const server = await start();
    const tokens = await login(server);
    const res = await fetch(`${server.url}/api/auth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: tokens.refresh_token }),
    });
    expect(res.status).toBe(200);
    expect((await refreshJson(server, tokens.refresh_token)).status).toBe(401);
    expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(401);
    const unknown = await fetch(`${server.url}/api/auth/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: 'unknown' }),
    });
    expect(unknown.status).toBe(200);
    const fam = claimsOf(tokens.access_token).fam as string;
    expect(server.control.counters().families[fam]).toMatchObject({
      revoked: true,
      reason: 'client-revoked',
    });
    expect(server.control.counters().revocations).toBe(1);
  });

  it('revokeAll() revokes every family with the given reason', async () => {
    const server = await start();
    const a = await login(server);
    const b = await login(server);
    server.control.revokeAll('password-changed');
    for (const tokens of [a, b]) {
      const res = await refreshJson(server, tokens.refresh_token);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
      expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(401);
    }
    const families = Object.values(server.control.counters().families);
    expect(families.map((f) => f.reason)).toEqual(['password-changed', 'password-changed']);
    expect(server.control.counters().revocations).toBe(2);
  });
});
