// RFC 7009 revocation at the demo server, which users copy as a reference backend: a refresh
// token, or a VALID access token, issued to the requesting client; nothing else revokes.
import { describe, expect, it } from 'vitest';
import { claimsOf, getWith, login, refreshJson, rotate, sleep, start, type Tokens } from './helpers.js';
import type { RunningServer } from '../../demo/server/index.js';

function revoke(server: RunningServer, fields: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/api/auth/revoke`, { method: 'POST', body: new URLSearchParams(fields) });
}

function family(server: RunningServer, tokens: Tokens) {
  return server.control.counters().families[claimsOf(tokens.access_token).fam as string];
}

describe('revocation (RFC 7009)', () => {
  it('by the refresh token: the family ends', async () => {
    const server = await start();
    const tokens = await login(server);
    expect(
      (await revoke(server, { token: tokens.refresh_token, token_type_hint: 'refresh_token' })).status,
    ).toBe(200);
    expect(family(server, tokens)).toMatchObject({ revoked: true, reason: 'client-revoked' });
    expect((await refreshJson(server, tokens.refresh_token)).status).toBe(401);
  });

  it('by a spent refresh token of the family: the family ends too', async () => {
    const server = await start();
    const first = await login(server);
    const second = await rotate(server, first.refresh_token);
    expect((await revoke(server, { token: first.refresh_token })).status).toBe(200);
    expect(family(server, second)).toMatchObject({ revoked: true });
  });

  it('by a valid access token: the family ends', async () => {
    const server = await start();
    const tokens = await login(server);
    expect(
      (await revoke(server, { token: tokens.access_token, token_type_hint: 'access_token' })).status,
    ).toBe(200);
    expect(family(server, tokens)).toMatchObject({ revoked: true });
    expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(401);
  });

  it('an expired access token revokes nothing (and still gets 200)', async () => {
    const server = await start({ accessTtlSeconds: 0.3 });
    const tokens = await login(server);
    await sleep(400);
    expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(401); // expired indeed
    const res = await revoke(server, { token: tokens.access_token, token_type_hint: 'access_token' });
    expect(res.status).toBe(200);
    expect(family(server, tokens)).toMatchObject({ revoked: false });
    expect(server.control.counters().revocations).toBe(0);
    expect((await refreshJson(server, tokens.refresh_token)).status).toBe(200);
  });

  it('a forged, malformed or unknown token revokes nothing', async () => {
    const server = await start();
    const tokens = await login(server);
    const [header, payload] = tokens.access_token.split('.');
    for (const token of [`${header}.${payload}.forged`, 'not-a-token', 'unknown-refresh-token']) {
      expect((await revoke(server, { token })).status, token).toBe(200);
    }
    expect(family(server, tokens)).toMatchObject({ revoked: false });
  });

  it('only the client the token was issued to may revoke it', async () => {
    const server = await start();
    const tokens = await login(server); // the demo's public client, "demo"
    for (const token of [tokens.refresh_token, tokens.access_token]) {
      const res = await revoke(server, { token, client_id: 'other-app' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    }
    expect(family(server, tokens)).toMatchObject({ revoked: false });
    expect((await revoke(server, { token: tokens.refresh_token, client_id: 'demo' })).status).toBe(200);
    expect(family(server, tokens)).toMatchObject({ revoked: true });
  });

  it('a request without a token is invalid_request', async () => {
    const server = await start();
    const res = await revoke(server, {});
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });
});
