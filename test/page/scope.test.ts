import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeclarativeConfig } from '../../shared/config.js';
import { createPageScope } from '../../src/scope.js';
import { isInScope } from '../../sw/scope.js';
import { resolveConfig } from '../../sw/settings.js';

const APP = 'https://app.test';

beforeEach(() => {
  vi.stubGlobal('location', new URL(`${APP}/some/page?q=1`));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('createPageScope', () => {
  it('defaults to same-origin /api/ on a "/" boundary', () => {
    const inScope = createPageScope(undefined);
    expect(inScope(`${APP}/api/users`)).toBe(true);
    expect(inScope(`${APP}/api`)).toBe(true);
    expect(inScope('/api/users?x=1#frag')).toBe(true);
    expect(inScope('../api/users')).toBe(true);
    expect(inScope(`${APP}/apix/users`)).toBe(false);
    expect(inScope(`${APP}/v1/api/users`)).toBe(false);
    expect(inScope(`${APP}/`)).toBe(false);
  });

  it('gives no token anywhere for a hint it cannot read (when in doubt, no token)', () => {
    for (const hint of [
      { apiPaths: '/api/' },
      { excludePaths: [3] },
      { allowedOrigins: ['http://[::1'] },
      { tokenEndpoint: 5 },
    ] as unknown[]) {
      expect(
        createPageScope(hint as Partial<DeclarativeConfig>)(`${APP}/api/users`),
        JSON.stringify(hint),
      ).toBe(false);
    }
  });

  it('uses the configured API prefixes, each on a "/" boundary', () => {
    const inScope = createPageScope({ apiPaths: ['/v1', '/graphql/'] });
    expect(inScope(`${APP}/v1/items`)).toBe(true);
    expect(inScope(`${APP}/v1`)).toBe(true);
    expect(inScope(`${APP}/v10/items`)).toBe(false);
    expect(inScope(`${APP}/graphql`)).toBe(true);
    expect(inScope(`${APP}/api/users`)).toBe(false);
  });

  it('takes other origins only when allow-listed, compared as parsed origins', () => {
    const inScope = createPageScope({
      tokenEndpoint: '/api/auth/refresh',
      allowedOrigins: ['https://api.example.com/ignored/path'],
    });
    expect(inScope('https://api.example.com/api/users')).toBe(true);
    expect(inScope('https://API.EXAMPLE.COM:443/api/users')).toBe(true);
    for (const lookAlike of [
      'https://api.example.com.evil.tld/api/users',
      'https://evilapi.example.com/api/users',
      'https://api.example.com@evil.tld/api/users',
      'https://evil.tld/https://api.example.com/api/users',
      'http://api.example.com/api/users',
      'https://api.example.com:8443/api/users',
      'https://app.test.evil.tld/api/users',
      'http://app.test/api/users',
      'https://sub.app.test/api/users',
    ]) {
      expect(inScope(lookAlike), lookAlike).toBe(false);
    }
  });

  it('never gives the token to the token, login and revocation endpoints', () => {
    const inScope = createPageScope({
      tokenEndpoint: '/api/auth/refresh',
      loginEndpoint: `${APP}/api/auth/login`,
      revocationEndpoint: 'https://auth.example.com/api/revoke',
      allowedOrigins: ['https://auth.example.com'],
    });
    expect(inScope(`${APP}/api/auth/refresh`)).toBe(false);
    expect(inScope(`${APP}/api/auth/refresh?grant_type=refresh_token`)).toBe(false);
    expect(inScope(`${APP}/api/auth/login#x`)).toBe(false);
    expect(inScope('https://auth.example.com/api/revoke')).toBe(false);
    // Only the endpoints themselves: their neighbours are ordinary API paths.
    expect(inScope(`${APP}/api/auth/me`)).toBe(true);
    expect(inScope(`${APP}/api/auth/refresh/status`)).toBe(true);
    expect(inScope('https://auth.example.com/api/users')).toBe(true);
  });

  it('excludes an endpoint configured with a query string or fragment as well', () => {
    const inScope = createPageScope({
      tokenEndpoint: '/api/auth/token?grant_type=refresh_token',
      loginEndpoint: '/api/auth/login#form',
    });
    expect(inScope(`${APP}/api/auth/token`)).toBe(false);
    expect(inScope(`${APP}/api/auth/token?grant_type=refresh_token`)).toBe(false);
    expect(inScope(`${APP}/api/auth/login`)).toBe(false);
  });

  it('honours excludePaths on a "/" boundary', () => {
    const inScope = createPageScope({ tokenEndpoint: '/auth/refresh', excludePaths: ['/api/public'] });
    expect(inScope(`${APP}/api/public`)).toBe(false);
    expect(inScope(`${APP}/api/public/logo.png`)).toBe(false);
    expect(inScope(`${APP}/api/publicity`)).toBe(true);
  });

  it.each<DeclarativeConfig>([
    {
      tokenEndpoint: '/api/auth/refresh?grant_type=refresh_token',
      loginEndpoint: '/api/auth/login',
      revocationEndpoint: 'https://api.example.com/v1/revoke',
      apiPaths: ['/api/', '/v1'],
      excludePaths: ['/api/public'],
      allowedOrigins: ['https://api.example.com'],
    },
    // Relative to the origin, not to the page's path (the page is at /some/page).
    { tokenEndpoint: 'api/auth/refresh', loginEndpoint: 'api/auth/login#form' },
  ])('agrees with the worker rule (sw/scope.ts) on every URL: %j', (config) => {
    const page = createPageScope(config);
    const resolved = resolveConfig(config, APP);
    const origin = fc.constantFrom(
      APP,
      'https://api.example.com',
      'https://api.example.com.evil.tld',
      'http://app.test',
      'https://app.test:444',
      'https://app.test.',
    );
    const path = fc.constantFrom(
      '/api/auth/refresh',
      '/api/auth/login',
      '/v1/revoke',
      '/api/public',
      '/api/publicity',
      '/api',
      '/api/',
      '/apix',
      '/v1',
      '/v10',
      '/',
      '',
      '/api/users',
      '/API/users',
      '/api/%2e%2e/public',
      '/api/../v1',
      '/api//users',
      '/v1/./revoke',
      '/some/api/auth/refresh',
      '/api//public',
      '/api/%70ublic',
      '/api/public;x',
      '/api%2Fpublic',
      '/api/PUBLIC',
      '/api/auth//login',
      '/api/auth/%72efresh',
      '/api;x/users',
      '/api/x%5C..%5C..%5Cv1',
    );
    const tail = fc.constantFrom('', '/', '/x', '/..');
    const suffix = fc.constantFrom('', '?grant_type=refresh_token', '#x', '?a=/api/');
    fc.assert(
      fc.property(origin, path, tail, suffix, (o, p, t, s) => {
        const url = `${o}${p}${t}${s}`;
        expect(page(url), url).toBe(isInScope(new URL(url), resolved));
      }),
      { numRuns: 3000, seed: 4 },
    );
  });
});
