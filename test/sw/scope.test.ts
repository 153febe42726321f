import { describe, expect, it } from 'vitest';
import { matchesPathPrefix } from '../../shared/paths.js';
import { isInScope, isInterceptable, isLoginRequest } from '../../sw/scope.js';
import { resolveConfig, type TokenBrokerConfig } from '../../sw/settings.js';
import { apiRequest, CONFIG, ORIGIN, Rig } from './harness.js';

const config = (extra: Partial<TokenBrokerConfig> = {}) =>
  resolveConfig({ ...CONFIG, allowedOrigins: ['https://api.example.com'], ...extra }, ORIGIN);
const inScope = (url: string, extra?: Partial<TokenBrokerConfig>) =>
  isInScope(new URL(url, ORIGIN), config(extra));

describe('isInterceptable', () => {
  it('takes plain fetch/XHR requests (destination "", cors or same-origin mode)', () => {
    expect(isInterceptable(apiRequest())).toBe(true);
    expect(isInterceptable(apiRequest('/api/x', { mode: 'same-origin' }))).toBe(true);
  });

  it('never takes no-cors requests', () => {
    expect(isInterceptable(apiRequest('/api/x', { mode: 'no-cors' }))).toBe(false);
  });

  it('never takes navigations or non-fetch destinations', () => {
    // Node cannot build navigate-mode or destination-carrying requests: a minimal stand-in.
    const fake = (mode: string, destination: string) => ({ mode, destination }) as unknown as Request;
    expect(isInterceptable(fake('navigate', ''))).toBe(false);
    expect(isInterceptable(fake('navigate', 'document'))).toBe(false);
    for (const destination of ['image', 'script', 'style', 'iframe', 'document', 'worker']) {
      expect(isInterceptable(fake('cors', destination)), destination).toBe(false);
    }
    expect(isInterceptable(fake('cors', ''))).toBe(true);
  });
});

describe('matchesPathPrefix', () => {
  it('matches on a "/" boundary only', () => {
    expect(matchesPathPrefix('/api', '/api')).toBe(true);
    expect(matchesPathPrefix('/api/x', '/api')).toBe(true);
    expect(matchesPathPrefix('/api/x', '/api/')).toBe(true);
    expect(matchesPathPrefix('/api', '/api/')).toBe(true);
    expect(matchesPathPrefix('/apix', '/api')).toBe(false);
    expect(matchesPathPrefix('/apix/y', '/api/')).toBe(false);
    expect(matchesPathPrefix('/v1/api/x', '/api')).toBe(false);
  });
});

describe('isInScope', () => {
  it('takes its own origin under an API prefix', () => {
    expect(inScope('/api/data')).toBe(true);
    expect(inScope('/api/data?x=1#h')).toBe(true);
    expect(inScope(`${ORIGIN}/api/deep/er`)).toBe(true);
  });

  it('respects the "/" boundary of the prefix: /api vs /apix', () => {
    expect(inScope('/apix', { apiPaths: ['/api'] })).toBe(false);
    expect(inScope('/apix/data', { apiPaths: ['/api'] })).toBe(false);
    expect(inScope('/api', { apiPaths: ['/api'] })).toBe(true);
    expect(inScope('/api/data', { apiPaths: ['/api'] })).toBe(true);
    expect(inScope('/other/data')).toBe(false);
    expect(inScope('/')).toBe(false);
  });

  it('compares parsed URLs, so dot segments cannot escape or enter the prefix', () => {
    expect(inScope('/api/../admin')).toBe(false);
    expect(inScope('/x/../api/data')).toBe(true);
  });

  it('takes allow-listed origins, and nothing that merely looks like them', () => {
    expect(inScope('https://api.example.com/api/data')).toBe(true);
    expect(inScope('https://api.example.com.evil.tld/api/data')).toBe(false);
    expect(inScope('https://evil.tld/api/data?https://api.example.com')).toBe(false);
    expect(inScope('https://api.example.com@evil.tld/api/data')).toBe(false);
    expect(inScope('http://api.example.com/api/data')).toBe(false);
    expect(inScope('https://api.example.com:8443/api/data')).toBe(false);
    expect(inScope('https://sub.api.example.com/api/data')).toBe(false);
    expect(inScope('https://app.example.evil.tld/api/data')).toBe(false);
  });

  it('never takes the token, login or revocation endpoints, nor excluded paths', () => {
    expect(inScope('/api/auth/refresh')).toBe(false);
    expect(inScope('/api/auth/refresh?grant_type=refresh_token')).toBe(false);
    expect(inScope('/api/auth/login')).toBe(false);
    expect(inScope('/api/auth/revoke')).toBe(false);
    expect(inScope('/api/auth/other')).toBe(true);
    expect(inScope('/api/public/x', { excludePaths: ['/api/public'] })).toBe(false);
    expect(inScope('/api/publicity', { excludePaths: ['/api/public'] })).toBe(true);
  });

  it('never takes a token endpoint on an allow-listed origin', () => {
    const c = { tokenEndpoint: 'https://api.example.com/api/token' };
    expect(inScope('https://api.example.com/api/token', c)).toBe(false);
    expect(inScope('https://api.example.com/api/data', c)).toBe(true);
  });

  it('recognises the login request (POST to the login endpoint only)', () => {
    const c = config();
    const login = apiRequest('/api/auth/login', { method: 'POST', body: '{}' });
    expect(isLoginRequest(login, new URL(login.url), c)).toBe(true);
    const get = apiRequest('/api/auth/login');
    expect(isLoginRequest(get, new URL(get.url), c)).toBe(false);
  });
});

describe('resolveConfig', () => {
  it('refuses endpoints that would send tokens to another origin', () => {
    expect(() => resolveConfig({ tokenEndpoint: 'https://evil.tld/token' }, ORIGIN)).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
    expect(() =>
      resolveConfig(
        {
          tokenEndpoint: '/t',
          loginEndpoint: 'https://api.example.com.evil.tld/login',
          allowedOrigins: ['https://api.example.com'],
        },
        ORIGIN,
      ),
    ).toThrow(expect.objectContaining({ code: 'invalid-config' }));
    expect(() => resolveConfig({ tokenEndpoint: 'javascript:alert(1)' }, ORIGIN)).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
    expect(() => resolveConfig({ tokenEndpoint: '/t', apiPaths: ['api'] }, ORIGIN)).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
  });

  it('takes allow-listed origins only as exact origins (the full matrix: test/sw/settings.test.ts)', () => {
    expect(() =>
      resolveConfig({ tokenEndpoint: '/t', allowedOrigins: ['https://API.example.com/some/path'] }, ORIGIN),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid-config',
        message: expect.stringContaining('did you mean "https://api.example.com"'),
      }),
    );
    expect([
      ...resolveConfig({ tokenEndpoint: '/t', allowedOrigins: ['https://api.example.com'] }, ORIGIN)
        .allowedOrigins,
    ]).toEqual(['https://api.example.com']);
  });
});

describe('forwarding out-of-scope requests', () => {
  it('passes them through untouched, without a token', async () => {
    const rig = new Rig({ config: { allowedOrigins: ['https://api.example.com'] } });
    await rig.login();
    for (const url of ['/apix/data', 'https://api.example.com.evil.tld/api/data', '/static/app.js']) {
      await rig.forward(new Request(new URL(url, ORIGIN)));
    }
    await rig.forward(new Request('https://api.example.com/api/data'));
    expect(rig.backend.apiCalls.map((c) => [new URL(c.request.url).href, c.auth])).toEqual([
      [`${ORIGIN}/apix/data`, null],
      ['https://api.example.com.evil.tld/api/data', null],
      [`${ORIGIN}/static/app.js`, null],
      ['https://api.example.com/api/data', `Bearer ${rig.backend.accessToken}`],
    ]);
  });

  it('never puts a token on the refresh request itself', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.broker.refresh('explicit');
    expect(rig.backend.refreshes).toHaveLength(1);
    expect(rig.backend.refreshes[0]?.request.headers.has('authorization')).toBe(false);
    // A page fetching the token endpoint directly goes out as it was.
    const res = await rig.forward(
      apiRequest('/api/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"refresh_token":"x"}',
      }),
    );
    expect(res.status).toBe(400);
    expect(rig.backend.refreshes[1]?.request.headers.has('authorization')).toBe(false);
  });
});
