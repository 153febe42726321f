import { describe, expect, it } from 'vitest';
import type { DeclarativeConfig } from '../../shared/config.js';
import { Broker } from '../../sw/broker.js';
import { configVersionOf, decideConfig, weakenings } from '../../sw/config-owner.js';
import { resolveConfig } from '../../sw/settings.js';
import { Bus, countingStore, FakeBackend, ORIGIN } from './harness.js';

const BASE: DeclarativeConfig = {
  tokenEndpoint: '/api/auth/refresh',
  loginEndpoint: '/api/auth/login',
  revocationEndpoint: '/api/auth/revoke',
  apiPaths: ['/api/'],
  excludePaths: ['/api/public/'],
};
const v = (config: DeclarativeConfig) => ({
  version: configVersionOf(config),
  config: resolveConfig(config, ORIGIN),
});

describe('decideConfig', () => {
  it('accepts the first config, and any newer version', () => {
    expect(decideConfig(null, v(BASE), true)).toEqual({ kind: 'accept' });
    expect(decideConfig(v(BASE), v({ tokenEndpoint: '/other', configVersion: 1 }), true)).toEqual({
      kind: 'accept',
    });
  });

  it('keeps an identical config, defaults and relative URLs included', () => {
    const spelledOut = {
      ...BASE,
      tokenEndpoint: `${ORIGIN}/api/auth/refresh`,
      format: 'json' as const,
      refreshLeadSeconds: 30,
      allowedOrigins: [],
    };
    expect(decideConfig(v(BASE), v(spelledOut), true)).toEqual({ kind: 'keep' });
  });

  it('never lets an older version replace a newer one, with or without a session', () => {
    for (const session of [true, false]) {
      const decision = decideConfig(
        v({ ...BASE, configVersion: 3 }),
        v({ ...BASE, configVersion: 2, refreshLeadSeconds: 5 }),
        session,
      );
      expect(decision).toEqual({ kind: 'conflict', reason: expect.stringContaining('older') });
    }
  });

  it.each<[string, DeclarativeConfig]>([
    ['login capture off', { ...BASE, loginEndpoint: undefined }],
    ['login capture moved', { ...BASE, loginEndpoint: '/api/other-login' }],
    ['another token endpoint', { ...BASE, tokenEndpoint: '/api/other' }],
    ['another format', { ...BASE, format: 'oauth2' }],
    ['wider apiPaths', { ...BASE, apiPaths: ['/api/', '/v2/'] }],
    ['wider apiPaths (a parent)', { ...BASE, apiPaths: ['/'] }],
    ['fewer excludePaths', { ...BASE, excludePaths: [] }],
    ['respectExistingAuthorization off', { ...BASE, respectExistingAuthorization: false }],
    ['revocation off', { ...BASE, revocationEndpoint: undefined }],
  ])('at the same version, never applies a weakening (%s), even without a session', (_name, incoming) => {
    const decision = decideConfig(v(BASE), v(incoming), false);
    expect(decision).toEqual({ kind: 'conflict', reason: expect.stringContaining('raise configVersion') });
  });

  it('at the same version, applies a change that weakens nothing only while no session is active', () => {
    const tighter = { ...BASE, apiPaths: ['/api/v1/'], refreshLeadSeconds: 10 };
    expect(decideConfig(v(BASE), v(tighter), false)).toEqual({ kind: 'accept' });
    expect(decideConfig(v(BASE), v(tighter), true)).toEqual({
      kind: 'conflict',
      reason: expect.stringContaining('session is active'),
    });
  });

  it('names each weakening', () => {
    const current = resolveConfig({ ...BASE, revealAccessToken: false }, ORIGIN);
    const next = resolveConfig(
      { tokenEndpoint: '/t', allowedOrigins: ['https://api.example'], respectExistingAuthorization: false },
      ORIGIN,
    );
    expect(weakenings(current, next)).toEqual([
      'change tokenEndpoint',
      'turn login capture off or move it',
      'turn revocation off or move it',
      'widen allowedOrigins',
      'narrow excludePaths',
      'change respectExistingAuthorization',
      'turn revealAccessToken on',
    ]);
    expect(weakenings(current, current)).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN, '2'])('refuses configVersion %j as invalid-config', (configVersion) => {
    expect(() => configVersionOf({ ...BASE, configVersion: configVersion as number })).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
  });
});

describe('Broker.configure (standalone worker)', () => {
  const setup = () => {
    const db = countingStore();
    const bus = new Bus();
    const backend = new FakeBackend();
    const broker = new Broker({
      origin: ORIGIN,
      store: db.store,
      broadcaster: bus.endpoint(),
      fetch: backend.fetch,
      lock: (fn) => fn(),
    });
    const login = () => broker.setSession({ ...backend.issue(), expiresIn: 600 });
    return { db, bus, broker, login };
  };

  it('a conflicting config during a session is refused with config-conflict, and nothing changes', async () => {
    const { db, broker, login } = setup();
    await broker.configure(BASE);
    await login();
    await expect(
      broker.configure({ ...BASE, loginEndpoint: undefined, excludePaths: ['/api/me'] }),
    ).rejects.toMatchObject({ code: 'config-conflict' });
    expect(broker.currentConfig()?.loginEndpoint?.pathname).toBe('/api/auth/login');
    expect(db.counts.writeConfig).toBe(1);
    expect(await db.store.readConfig()).toEqual(BASE);
  });

  it('a newer version replaces the config and tells the tabs; the old one is then refused', async () => {
    const { db, bus, broker, login } = setup();
    await broker.configure(BASE);
    await login();
    const next = { ...BASE, configVersion: 2, apiPaths: ['/api/', '/v2/'] };
    await broker.configure(next);
    expect(await db.store.readConfig()).toEqual(next);
    expect(bus.of('error')).toEqual([
      {
        type: 'error',
        error: { code: 'config-conflict', message: expect.stringContaining('configVersion 2') },
      },
    ]);
    await expect(broker.configure(BASE)).rejects.toMatchObject({ code: 'config-conflict' });
    await broker.configure(next); // the winner re-sending is a no-op
    expect(db.counts.writeConfig).toBe(2);
    expect(bus.of('error')).toHaveLength(1);
  });

  it('two tabs configuring at once: one decision at a time, so the older config loses', async () => {
    const { db, broker } = setup();
    const results = await Promise.allSettled([
      broker.configure({ ...BASE, configVersion: 2 }),
      broker.configure({ ...BASE, configVersion: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(await db.store.readConfig()).toMatchObject({ configVersion: 2 });
    expect(db.counts.writeConfig).toBe(1);
  });

  it('after its storage was lost, the first config is accepted without telling anyone', async () => {
    const { db, bus, broker } = setup();
    await broker.configure({ ...BASE, configVersion: 4 });
    await broker.configure({ ...BASE, configVersion: 1 }).catch(() => undefined);
    const fresh = new Broker({
      origin: ORIGIN,
      store: countingStore().store,
      broadcaster: bus.endpoint(),
      fetch: new FakeBackend().fetch,
      lock: (fn) => fn(),
    });
    await fresh.configure(BASE);
    expect(fresh.currentConfig()?.loginEndpoint?.pathname).toBe('/api/auth/login');
    expect(bus.of('error')).toEqual([]);
    expect(db.counts.writeConfig).toBe(1);
  });
});
