import { describe, expect, it } from 'vitest';
import { isBroadcastMessage } from '../../shared/broadcast-guard.js';
import { EXPOSED_CLAIMS } from '../../shared/identity.js';
import { identityOf } from '../../sw/claims.js';
import { jwt, Rig } from './harness.js';

describe('identityOf', () => {
  it('keeps sub and the exposed claims with plain values, and drops every other claim', () => {
    const token = jwt({
      sub: 'user-1',
      iss: 'https://issuer.example',
      aud: ['api', 'web'],
      exp: 2_000_000_000,
      email: 'ada@example.com',
      email_verified: true,
      roles: ['admin', 'editor'],
      scope: 'openid profile',
      // Not exposed: secrets, arbitrary app data, nested objects.
      refresh_token: 'rt-secret',
      password_hash: 'x',
      app_metadata: { provider: 'email' },
    });
    expect(identityOf(token)).toEqual({
      sub: 'user-1',
      claims: {
        sub: 'user-1',
        iss: 'https://issuer.example',
        aud: ['api', 'web'],
        exp: 2_000_000_000,
        email: 'ada@example.com',
        email_verified: true,
        roles: ['admin', 'editor'],
        scope: 'openid profile',
      },
    });
  });

  it('drops exposed names whose value is not plain (objects, mixed lists, huge strings)', () => {
    const token = jwt({
      sub: 7,
      name: { first: 'Ada' },
      roles: ['admin', 3],
      groups: Array.from({ length: 65 }, (_, i) => `g${i}`),
      picture: 'x'.repeat(1025),
      locale: 'en',
    });
    expect(identityOf(token)).toEqual({ sub: null, claims: { locale: 'en' } });
  });

  it('decodes UTF-8 claims (names and emails are not Latin-1)', () => {
    expect(identityOf(jwt({ sub: 'u', name: 'José Ñúñez 東京' })).claims.name).toBe('José Ñúñez 東京');
  });

  it('gives an opaque or broken token an identity without sub or claims', () => {
    for (const token of ['opaque-token', 'a.b', 'x.!!!.y', `h.${Buffer.from('[1]').toString('base64url')}.s`])
      expect(identityOf(token)).toEqual({ sub: null, claims: {} });
  });

  it('exposes no claim whose name says token, secret or password', () => {
    expect(EXPOSED_CLAIMS.filter((c) => /token|secret|password|key/i.test(c))).toEqual([]);
  });
});

describe('the broker hands the identity to pages', () => {
  it('in status and in the session and refreshed broadcasts, without token material', async () => {
    const rig = new Rig();
    const accessToken = jwt({ sub: 'user-9', email: 'u9@example.com', exp: 2_000_000_000 });
    expect(rig.broker.status().identity).toBeNull();
    const { refreshToken } = rig.backend.issue();
    await rig.broker.setSession({ accessToken, refreshToken, expiresIn: 3600 });
    expect(rig.broker.status().identity).toEqual({
      sub: 'user-9',
      claims: { sub: 'user-9', email: 'u9@example.com', exp: 2_000_000_000 },
    });
    const [session] = rig.bus.of('session');
    expect(session).toMatchObject({ identity: { sub: 'user-9' } });
    expect(isBroadcastMessage(session)).toBe(true);
    await rig.broker.refresh('explicit');
    const [refreshed] = rig.bus.of('refreshed');
    // The fake backend issues opaque tokens: a refreshed token that is no JWT has no claims.
    expect(refreshed).toMatchObject({ identity: { sub: null, claims: {} } });
    const wire = JSON.stringify(rig.bus.messages);
    expect(wire).not.toContain(refreshToken);
    expect(wire).not.toContain(rig.backend.refreshToken);
    expect(wire).not.toContain(accessToken);
    await rig.broker.logout();
    expect(rig.broker.status().identity).toBeNull();
  });

  it('a page refuses a broadcast whose identity is malformed, and accepts one without it (older workers)', () => {
    const base = { type: 'session', generation: 1, expiresIn: 1000 };
    expect(isBroadcastMessage(base)).toBe(true);
    expect(isBroadcastMessage({ ...base, identity: null })).toBe(true);
    expect(isBroadcastMessage({ ...base, identity: { sub: 1, claims: {} } })).toBe(false);
    expect(isBroadcastMessage({ ...base, identity: { sub: 'u', claims: { x: { y: 1 } } } })).toBe(false);
  });
});
