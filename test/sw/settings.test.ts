import { describe, expect, it } from 'vitest';
import { isTokenBrokerError } from '../../shared/errors.js';
import { DEFAULT_LIMITS } from '../../sw/config-rules.js';
import { declarativePart, resolveConfig, type TokenBrokerConfig } from '../../sw/settings.js';
import { Broker } from '../../sw/broker.js';
import { Bus, countingStore, ORIGIN } from './harness.js';

const BASE = { tokenEndpoint: '/api/auth/refresh' };

/** The error `config` is refused with, or null when it is accepted. */
function refusal(config: unknown): { code: string; message: string } | null {
  try {
    resolveConfig(config as TokenBrokerConfig, ORIGIN);
    return null;
  } catch (error) {
    if (!isTokenBrokerError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

// Each row: a field, a bad value, and what the message must name. Every refusal is
// `invalid-config` (never `internal`), and the message names the field.
const BAD: Array<[field: string, value: unknown, names?: string]> = [
  ['tokenEndpoint', ''],
  ['tokenEndpoint', '   '],
  ['tokenEndpoint', 42],
  ['tokenEndpoint', null],
  ['tokenEndpoint', 'javascript:alert(1)'],
  ['tokenEndpoint', 'https://evil.tld/token'],
  ['tokenEndpoint', 'https://user:pw@app.example/token'],
  ['tokenEndpoint', 'http://[::1'],
  ['format', 'xml'],
  ['format', null],
  ['clientId', ''],
  ['clientId', 7],
  ['scope', ['openid']],
  ['apiKey', 'key with spaces'],
  ['apiKey', 'k\r\nX-Evil: 1'],
  ['apiPaths', 'api'],
  ['apiPaths', []],
  ['apiPaths', ['api/'], 'apiPaths[0]'],
  ['apiPaths', ['/api/', 3], 'apiPaths[1]'],
  ['apiPaths', ['/api//x'], 'apiPaths[0]'],
  ['apiPaths', ['/api/../admin'], 'apiPaths[0]'],
  ['apiPaths', ['/api?x'], 'apiPaths[0]'],
  ['apiPaths', ['/%61pi/'], 'apiPaths[0]'],
  ['apiPaths', [''], 'apiPaths[0]'],
  ['apiPaths', Array.from({ length: 101 }, (_, i) => `/p${i}/`)],
  ['excludePaths', ['public'], 'excludePaths[0]'],
  ['excludePaths', ['/api/x;y/'], 'excludePaths[0]'],
  ['excludePaths', ['/api\\x/'], 'excludePaths[0]'],
  ['excludePaths', ['/api/café/'], 'excludePaths[0]'],
  ['excludePaths', ['/api/x /'], 'excludePaths[0]'],
  ['excludePaths', { 0: '/x' }],
  ['allowedOrigins', ['*'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['null'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['api.example.com'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['https://*.example.com'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['https://api.example.com/'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['https://api.example.com/v1'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['https://api.example.com?x=1'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['https://u:p@api.example.com'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['https://api.example.com:443'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['ftp://api.example.com'], 'allowedOrigins[0]'],
  ['allowedOrigins', ['']],
  ['allowedOrigins', 'https://api.example.com'],
  ['refreshLeadSeconds', -1],
  ['refreshLeadSeconds', NaN],
  ['refreshLeadSeconds', Infinity],
  ['refreshLeadSeconds', '30'],
  ['refreshTimeoutSeconds', 0],
  ['refreshTimeoutSeconds', 0.5],
  ['refreshTimeoutSeconds', NaN],
  ['refreshTimeoutSeconds', Infinity],
  ['refreshTimeoutSeconds', 61],
  ['refreshTimeoutSeconds', null],
  ['requestWaitSeconds', 0],
  ['requestWaitSeconds', -Infinity],
  ['requestWaitSeconds', '10'],
  ['backoff', 1],
  ['backoff', null],
  ['backoff', { initialSeconds: NaN }, 'backoff.initialSeconds'],
  ['backoff', { initialSeconds: -1 }, 'backoff.initialSeconds'],
  ['backoff', { maxSeconds: Infinity }, 'backoff.maxSeconds'],
  ['backoff', { initialSeconds: 5, maxSeconds: 1 }, 'backoff.maxSeconds'],
  ['backoff', { initial: 1 }, 'backoff.initial'],
  ['maxRefreshAttempts', 0],
  ['maxRefreshAttempts', 1.5],
  ['maxRefreshAttempts', 11],
  ['maxRefreshAttempts', NaN],
  ['maxRefreshAttempts', '3'],
  ['maxReplayBodyBytes', -1],
  ['maxReplayBodyBytes', 1.5],
  ['maxReplayBodyBytes', 64 * 1024 * 1024 + 1],
  ['maxReplayBodyBytes', NaN],
  ['maxReplayBodyBytes', '1024'],
  ['revealAccessToken', 'false'],
  ['revealAccessToken', 0],
  ['respectExistingAuthorization', null],
  ['respectExistingAuthorization', 'yes'],
  ['loginEndpoint', ''],
  ['loginEndpoint', null],
  ['loginEndpoint', 'https://evil.tld/login'],
  ['revocationEndpoint', ''],
  ['revocationEndpoint', 'data:text/plain,x'],
  ['buildRequest', 'not a function'],
  ['apiPath', ['/api/']],
  ['excludedPaths', ['/x/']],
  ['__proto__x', 1],
];

describe('config matrix: every field has a type, a range and a message that names it', () => {
  it.each(BAD)('%s = %j is refused with invalid-config naming it', (field, value, names) => {
    const error = refusal({ ...BASE, [field]: value });
    expect(error, `${field}=${String(value)} was accepted`).not.toBeNull();
    expect(error!.code).toBe('invalid-config');
    expect(error!.message).toContain(names ?? field);
  });

  it.each([null, undefined, 'x', 3, [], [BASE]])(
    'a config that is not an object (%j) is invalid-config',
    (config) => {
      expect(refusal(config)?.code).toBe('invalid-config');
    },
  );

  it('requires tokenEndpoint', () => {
    expect(refusal({})).toEqual({ code: 'invalid-config', message: 'tokenEndpoint is required' });
  });

  it('refuses a refresh whose worst case outlives the worker event (5 minutes)', () => {
    const error = refusal({ ...BASE, maxRefreshAttempts: 10, refreshTimeoutSeconds: 30 });
    expect(error?.code).toBe('invalid-config');
    expect(error?.message).toMatch(/maxRefreshAttempts × refreshTimeoutSeconds/);
  });

  it('accepts the documented bounds and every field at a sane value', () => {
    const full = {
      tokenEndpoint: 'https://auth.example.com/token',
      format: 'oauth2',
      clientId: 'spa',
      scope: 'openid offline_access',
      apiKey: 'anon.key-1',
      apiPaths: ['/api/', '/v1'],
      allowedOrigins: ['https://auth.example.com', 'http://127.0.0.1:5180'],
      excludePaths: ['/api/public/', '/api/caf%C3%A9/'],
      refreshLeadSeconds: 0,
      refreshTimeoutSeconds: DEFAULT_LIMITS.refreshTimeoutSeconds[0],
      requestWaitSeconds: DEFAULT_LIMITS.requestWaitSeconds[1],
      backoff: { initialSeconds: 0, maxSeconds: 10 },
      maxRefreshAttempts: 10,
      revealAccessToken: false,
      respectExistingAuthorization: false,
      loginEndpoint: 'https://auth.example.com/token',
      revocationEndpoint: '/api/auth/revoke',
      buildRequest: undefined,
    };
    expect(refusal(full)).toBeNull();
    expect(refusal({ ...BASE, loginEndpoint: undefined })).toBeNull();
    for (const bytes of [0, 1, 64 * 1024 * 1024])
      expect(refusal({ ...BASE, maxReplayBodyBytes: bytes })).toBeNull();
  });
});

describe('the standalone worker stores nothing it refuses', () => {
  it('configure() with a bad config rejects with invalid-config and writes nothing', async () => {
    const { store, counts } = countingStore();
    const broker = new Broker({
      origin: ORIGIN,
      store,
      broadcaster: new Bus().endpoint(),
      fetch: fetch,
      lock: (fn) => fn(),
    });
    await broker.configure({ tokenEndpoint: '/api/auth/refresh' });
    expect(counts.writeConfig).toBe(1);
    for (const bad of [
      { ...BASE, refreshTimeoutSeconds: NaN },
      { ...BASE, allowedOrigins: ['*'] },
      { ...BASE, tokenEndpoint: '' },
      { ...BASE, revealAccessToken: 'no' },
    ]) {
      await expect(broker.configure(bad as TokenBrokerConfig)).rejects.toMatchObject({
        name: 'TokenBrokerError',
        code: 'invalid-config',
      });
    }
    // NaN is judged as sent, not after JSON turned it into null.
    await expect(broker.configure({ ...BASE, refreshTimeoutSeconds: NaN })).rejects.toThrow(
      /refreshTimeoutSeconds.*NaN/,
    );
    expect(counts.writeConfig).toBe(1);
    expect(await store.readConfig()).toEqual({ tokenEndpoint: '/api/auth/refresh' });
  });

  it('a stored config that fails the rules (written by an older version) leaves the worker unconfigured, not wedged', async () => {
    const { store } = countingStore();
    await store.writeConfig({ tokenEndpoint: '/api/auth/refresh', refreshTimeoutSeconds: 0.2 });
    const broker = new Broker({
      origin: ORIGIN,
      store,
      broadcaster: new Bus().endpoint(),
      fetch: fetch,
      lock: (fn) => fn(),
    });
    await broker.ready();
    expect(broker.status().configured).toBe(false);
    // The page's next registration configures it again.
    await broker.configure({ tokenEndpoint: '/api/auth/refresh' });
    expect(broker.status().configured).toBe(true);
    expect(await store.readConfig()).toEqual({ tokenEndpoint: '/api/auth/refresh' });
  });

  it('declarativePart keeps exactly the plain options', () => {
    expect(declarativePart({ ...BASE, buildRequest: () => new Request('https://x') })).toEqual(BASE);
  });
});
