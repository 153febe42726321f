import { describe, expect, it } from 'vitest';
import { isEndpointPath, isTokenPath, normalisePath, pathReadings } from '../../shared/paths.js';
import { isInScope, isLoginRequest, routeRequest } from '../../sw/scope.js';
import { resolveConfig } from '../../sw/settings.js';
import { CONFIG, ORIGIN } from './harness.js';

const config = resolveConfig({ ...CONFIG, apiPaths: ['/api/'], excludePaths: ['/api/x/public/'] }, ORIGIN);
/** What the worker decides for `path` on its own origin, parsed as the browser parses it. */
const token = (path: string): boolean => isInScope(new URL(path, ORIGIN), config);

describe('normalisePath', () => {
  it.each([
    ['/api/x', '/api/x'],
    ['/api/x/', '/api/x/'],
    ['/api//x///y', '/api/x/y'],
    ['/api/%70ublic', '/api/public'],
    ['/api/%7e%2D%5f', '/api/~-_'],
    ['/api/a%2fb', '/api/a%2Fb'],
    ['/api/caf%c3%a9', '/api/caf%C3%A9'],
    ['/api/x/.', '/api/x/'],
    ['/api/x/%2e%2e', '/api/'],
    ['/api/x/y/..', '/api/x/'],
    ['/', '/'],
    ['', '/'],
  ])('%s → %s', (raw, normal) => {
    expect(normalisePath(raw)).toBe(normal);
  });

  it('reads a path every way a server might: ;params stripped, %2F %5C and %25 decoded', () => {
    expect(pathReadings('/api/x/public;x/a')).toEqual(['/api/x/public;x/a', '/api/x/public/a']);
    expect(pathReadings('/api/x%2Fpublic/a')).toEqual(['/api/x%2Fpublic/a', '/api/x/public/a']);
    expect(pathReadings('/api/x%5Cpublic/a')).toContain('/api/x/public/a');
    expect(pathReadings('/api/x/%2570ublic/a')).toContain('/api/x/public/a');
    expect(pathReadings('/api/x/public/..;/secret')).toContain('/api/x/secret');
  });
});

// The matrix: `excludePaths: ['/api/x/public/']` and every spelling a server may take
// for that path. None may carry the token; the positive controls must.
describe('an excluded path never gets the token, whatever its spelling', () => {
  it.each([
    '/api/x/public/a',
    '/api/x/public',
    '/api/x//public/a',
    '/api//x/public/a',
    '/api/x/%70ublic/a',
    '/api/x/%70UBLIC/a',
    '/api/x/%2570ublic/a',
    '/api/x/public;x/a',
    '/api/x;y/public/a',
    '/api/x/public/./a',
    '/api/x/y/../public/a',
    '/api/x/y/%2e%2e/public/a',
    '/api/x/y/..;/public/a',
    '/api/x%2Fpublic/a',
    '/api/x%2fpublic/a',
    '/api/x%5Cpublic/a',
    '/api/x\\public/a',
    '/api/x/PUBLIC/a',
    '/api/x/Public/',
    '/api/x/public%2Fa',
  ])('%s: no token', (path) => {
    expect(token(path)).toBe(false);
  });

  it.each(['/api/x/publicity', '/api/x/other/public', '/api/x/a', '/api//me', '/api/%6De', '/api/x/y/../z'])(
    '%s: token (control)',
    (path) => {
      expect(token(path)).toBe(true);
    },
  );

  it('gives no token to a path only some readings put under an API prefix', () => {
    expect(token('/api;x/me')).toBe(false);
    expect(token('/other%2F..%2Fapi/me')).toBe(false);
    expect(token('/%61pi/me')).toBe(true); // every server decodes unreserved escapes
  });
});

describe("the broker's endpoints, whatever their spelling", () => {
  it.each([
    '/api/auth/refresh',
    '/api/auth//refresh',
    '/api/auth/%72efresh',
    '/api/auth/refresh;x',
    '/api/auth/REFRESH',
    '/api/auth/refresh/',
    '/api/auth%2Frefresh',
    '/api/auth/revoke;a=b',
    '/api/auth//login',
  ])('%s: no token', (path) => {
    expect(token(path)).toBe(false);
  });

  it('captures a login POST under any spelling of the login endpoint', () => {
    for (const path of [
      '/api/auth/login',
      '/api/auth//login',
      '/api/auth/%6cogin',
      '/api/auth/login;jsessionid=1',
      '/api/AUTH/login/',
    ]) {
      const request = new Request(new URL(path, ORIGIN), { method: 'POST', body: '{}' });
      expect(isLoginRequest(request, new URL(request.url), config), path).toBe(true);
    }
    expect(isEndpointPath('/api/auth/logins', ['/api/auth/login'])).toBe(false);
  });
});

describe('route order', () => {
  it('captures the login even when the request carries Authorization (HTTP Basic)', () => {
    const basic = new Request(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { Authorization: 'Basic ZGVtbzpkZW1v' },
      body: '{}',
    });
    expect(routeRequest(basic, config)).toBe('login');
  });

  it('then leaves other requests with their own Authorization alone, then applies the scope', () => {
    const own = new Request(`${ORIGIN}/api/me`, { headers: { Authorization: 'Bearer app-token' } });
    expect(routeRequest(own, config)).toBe('pass');
    const override = resolveConfig({ ...CONFIG, respectExistingAuthorization: false }, ORIGIN);
    expect(routeRequest(own, override)).toBe('token');
    expect(routeRequest(new Request(`${ORIGIN}/api/me`), config)).toBe('token');
    expect(routeRequest(new Request(`${ORIGIN}/api/x/public/a`), config)).toBe('pass');
  });
});

describe('isTokenPath', () => {
  it('matches API prefixes exactly and exclusions without regard to case', () => {
    const rule = { apiPaths: ['/api/'], excludePaths: ['/api/Public'], endpoints: [] };
    expect(isTokenPath('/API/me', rule)).toBe(false);
    expect(isTokenPath('/api/public/x', rule)).toBe(false);
    expect(isTokenPath('/api/me', rule)).toBe(true);
  });
});
