import { describe, expect, it } from 'vitest';
import { computeExpiresAt, decodeJwtExp, refreshDueAt } from '../../sw/expiry.js';
import { jwt, Rig, START } from './harness.js';

const HOUR = 3600_000;

describe('decodeJwtExp', () => {
  it('decodes a base64url payload that needs "-", "_" and padding', () => {
    // These claims encode to a payload with both url-safe characters and a length not divisible by 4.
    const claims = { exp: 2_000_000_000, sub: '??>>~~ü', n: 1 };
    const token = jwt(claims);
    const payload = token.split('.')[1]!;
    expect(payload).toMatch(/[-_]/);
    expect(payload.length % 4).not.toBe(0);
    expect(decodeJwtExp(token)).toBe(2_000_000_000);
  });

  it.each([
    ['an opaque token', 'opaque-token'],
    ['a payload that is not base64', 'a.%%%.c'],
    ['a payload that is not JSON', `a.${Buffer.from('nope').toString('base64url')}.c`],
    ['a string exp', jwt({ exp: '2000000000' })],
    ['no exp', jwt({ sub: 'x' })],
    ['a null payload', `a.${Buffer.from('null').toString('base64url')}.c`],
  ])('is null for %s', (_name, token) => {
    expect(decodeJwtExp(token)).toBeNull();
  });
});

describe('computeExpiresAt', () => {
  it('counts expires_in from the moment the response arrived', () => {
    expect(computeExpiresAt('opaque', 600, 1_000)).toBe(601_000);
    expect(computeExpiresAt('opaque', 600, 5 * HOUR)).toBe(5 * HOUR + 600_000);
  });

  it('prefers expires_in over a JWT exp and over the server Date', () => {
    const token = jwt({ exp: 1 });
    expect(computeExpiresAt(token, 60, START, START - 10 * HOUR)).toBe(START + 60_000);
  });

  it('falls back to the JWT exp, shifted by the skew between server Date and arrival', () => {
    const serverNow = Date.UTC(2029, 5, 1);
    const token = jwt({ exp: serverNow / 1000 + 600 });
    // Client clock three hours ahead of the server: the token still has 600 s on our clock.
    expect(computeExpiresAt(token, undefined, serverNow + 3 * HOUR, serverNow)).toBe(
      serverNow + 3 * HOUR + 600_000,
    );
  });

  describe('without a readable server clock (a cross-origin Date header)', () => {
    const issuedAt = Date.UTC(2029, 5, 1);
    const token = jwt({ iat: issuedAt / 1000, exp: issuedAt / 1000 + 600 });

    it.each([
      ['ahead by 3 hours', 3 * HOUR],
      ['ahead by 20 minutes (more than the lifetime)', 20 * 60_000],
      ['behind by 3 hours', -3 * HOUR],
      ['exact', 0],
    ])('uses the lifetime exp - iat counted from receipt: client clock %s', (_, skew) => {
      const receivedAt = issuedAt + skew;
      expect(computeExpiresAt(token, undefined, receivedAt)).toBe(receivedAt + 600_000);
    });

    it('so a client clock ahead of the server causes one refresh per lifetime, not one per request', async () => {
      // The worker clock runs 3 hours ahead of the server that minted the token.
      const rig = new Rig();
      rig.clock.t = issuedAt + 3 * HOUR;
      await rig.broker.setSession({ accessToken: token, refreshToken: 'rt-login' });
      expect(rig.broker.dueIn()).toBe(600_000 - 30_000);
      await rig.broker.refreshIfDue();
      expect(rig.backend.refreshCount).toBe(0);
      rig.clock.t += 600_000 - 30_000;
      expect(rig.broker.dueIn()).toBe(0);
    });

    it('takes a JWT without iat at face value only while it lies ahead on our clock', () => {
      const noIat = jwt({ exp: issuedAt / 1000 + 600 });
      expect(computeExpiresAt(noIat, undefined, issuedAt)).toBe(issuedAt + 600_000);
      // Our clock is past its exp on arrival: unknown, so refresh only on a 401.
      expect(computeExpiresAt(noIat, undefined, issuedAt + 3 * HOUR)).toBeNull();
      // A lifetime over a year (clock far behind) is not believed either.
      expect(computeExpiresAt(noIat, undefined, issuedAt - 400 * 24 * HOUR)).toBeNull();
    });

    it('ignores an iat that gives no sane lifetime', () => {
      const backwards = jwt({ iat: issuedAt / 1000 + 700, exp: issuedAt / 1000 + 600 });
      expect(computeExpiresAt(backwards, undefined, issuedAt)).toBe(issuedAt + 600_000);
      expect(computeExpiresAt(backwards, undefined, issuedAt + 3 * HOUR)).toBeNull();
    });
  });

  it('is null when nothing tells the expiry', () => {
    expect(computeExpiresAt('opaque', undefined, START, START)).toBeNull();
  });
});

describe('refreshDueAt', () => {
  it('is lead time before expiry for long-lived tokens', () => {
    expect(refreshDueAt(START + HOUR, START, 30_000)).toBe(START + HOUR - 30_000);
  });

  it('never leads by more than a quarter of the lifetime', () => {
    expect(refreshDueAt(START + 60_000, START, 30_000)).toBe(START + 45_000);
    expect(refreshDueAt(START + 100_000, START, 30_000)).toBe(START + 75_000);
    // Exactly at the boundary: lifetime/4 == lead.
    expect(refreshDueAt(START + 120_000, START, 30_000)).toBe(START + 90_000);
  });

  it('is null without an expiry, and the expiry itself for a token received already expired', () => {
    expect(refreshDueAt(null, START, 30_000)).toBeNull();
    expect(refreshDueAt(START - 1_000, START, 30_000)).toBe(START - 1_000);
  });
});

describe('expiry in the broker', () => {
  it('is immune to a wrong client clock: expires_in counts from receipt, the server Date is ignored', async () => {
    const rig = new Rig();
    rig.clock.t = START + 7 * 24 * HOUR; // the client clock is a week ahead
    rig.backend.successHeaders = { Date: new Date(START).toUTCString() };
    await rig.login(3600);
    expect(rig.broker.status().expiresIn).toBe(3600_000);
    rig.backend.expiresIn = 900;
    await rig.broker.refresh('explicit');
    expect(rig.broker.status().expiresIn).toBe(900_000);
    expect((await rig.stored())?.expiresAt).toBe(rig.clock.now() + 900_000);
  });

  it('uses the JWT exp with the Date-header skew when expires_in is absent', async () => {
    const rig = new Rig();
    await rig.login();
    const serverNow = Date.UTC(2029, 5, 1, 12, 0, 0);
    rig.clock.t = serverNow + 2 * HOUR; // client two hours ahead of the server
    const access = jwt({ exp: serverNow / 1000 + 600 });
    rig.backend.replies.push(() =>
      Response.json(
        { access_token: access, refresh_token: 'rt-jwt' },
        { headers: { Date: new Date(serverNow).toUTCString() } },
      ),
    );
    await rig.broker.refresh('explicit');
    expect(rig.broker.status().expiresIn).toBe(600_000);
  });

  it('a token with no known expiry is never refreshed proactively', async () => {
    const rig = new Rig();
    await rig.broker.setSession({ accessToken: 'opaque', refreshToken: 'rt' });
    expect(rig.broker.status()).toMatchObject({ expiresIn: null, refreshDueIn: null });
    rig.clock.t += 365 * 24 * HOUR;
    await rig.broker.refreshIfDue();
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('refreshes proactively at min(lead, lifetime/4) before expiry, not earlier', async () => {
    const rig = new Rig({ config: { refreshLeadSeconds: 30 } });
    await rig.login(60); // quarter of the lifetime (15 s) < lead (30 s)
    expect(rig.broker.dueIn()).toBe(45_000);
    rig.clock.t += 44_999;
    await rig.broker.refreshIfDue();
    expect(rig.backend.refreshCount).toBe(0);
    rig.clock.t += 1;
    await rig.broker.refreshIfDue();
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.bus.of('refreshed')).toEqual([
      {
        type: 'refreshed',
        generation: 2,
        expiresIn: 3600_000,
        trigger: 'proactive',
        identity: { sub: null, claims: {} },
      },
    ]);
    expect(rig.broker.dueIn()).toBe(3600_000 - 30_000); // long-lived: the configured lead
  });
});
