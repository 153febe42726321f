import { describe, expect, it } from 'vitest';
import { readRouteScope, routeScopeOf, sameRouteScope, withRouteScope } from '../../shared/route-scope.js';

const ORIGIN = 'https://app.example';
const PAGE = `${ORIGIN}/app/index.html`;

/** What the page registers for `config`, and what the worker reads back from that URL. */
function roundTrip(config: Parameters<typeof routeScopeOf>[0], scriptUrl = '/sw.js') {
  const scope = routeScopeOf(config, ORIGIN);
  if (!scope) throw new Error('no scope');
  const url = withRouteScope(scriptUrl, scope, PAGE);
  return { scope, url, read: readRouteScope(new URL(url, ORIGIN).search) };
}

describe('script-URL route scope: canonical form', () => {
  it('one config is one URL: order, duplicates and the default apiPaths do not matter', () => {
    const a = roundTrip({
      apiPaths: ['/v2/', '/api/', '/v2/'],
      allowedOrigins: ['https://b.example', 'https://a.example'],
    });
    const b = roundTrip({
      apiPaths: ['/api/', '/v2/'],
      allowedOrigins: ['https://a.example', 'https://b.example'],
    });
    expect(a.url).toBe(b.url);
    expect(a.url).toBe(
      '/sw.js?api=%2Fapi%2F&api=%2Fv2%2F&origin=https%3A%2F%2Fa.example&origin=https%3A%2F%2Fb.example',
    );
    expect(roundTrip({}).url).toBe(roundTrip({ apiPaths: ['/api/'] }).url);
  });

  it('a changed scope is another URL', () => {
    const urls = new Set(
      [
        {},
        { apiPaths: ['/api/', '/v2/'] },
        { loginEndpoint: '/auth/login' },
        { allowedOrigins: ['https://api.example'] },
      ].map((c) => roundTrip(c).url),
    );
    expect(urls.size).toBe(4);
  });

  it('keeps the rest of the script URL (name, own parameters) and replaces an older scope', () => {
    const { url } = roundTrip({ apiPaths: ['/v2/'] }, '/sw.js?name=app-b&api=%2Fold%2F&login=%2Fx');
    expect(url).toBe('/sw.js?name=app-b&api=%2Fv2%2F');
    expect(roundTrip({}, 'https://app.example/sw.js').url).toBe('https://app.example/sw.js?api=%2Fapi%2F');
  });

  it('the worker reads back exactly the page config scope; a same-origin login becomes its path', () => {
    const { scope, read } = roundTrip({
      apiPaths: ['/api/'],
      loginEndpoint: 'https://app.example/auth/login?x=1',
      allowedOrigins: ['https://api.example'],
    });
    expect(scope.login).toBe('/auth/login');
    expect(read).toEqual(scope);
    expect(sameRouteScope(read!, scope)).toBe(true);
    const cross = roundTrip({
      loginEndpoint: 'https://api.example/login',
      allowedOrigins: ['https://api.example'],
    });
    expect(cross.read?.login).toBe('https://api.example/login');
  });

  it('a config that cannot be read as a scope gives none (the worker refuses it itself)', () => {
    expect(routeScopeOf({ apiPaths: 'api' as unknown as string[] }, ORIGIN)).toBeNull();
    expect(routeScopeOf({ allowedOrigins: [1 as unknown as string] }, ORIGIN)).toBeNull();
    expect(routeScopeOf({ loginEndpoint: 'http://[' }, ORIGIN)).toBeNull();
  });
});

describe('script-URL route scope: garbled or hostile queries give no scope (fail closed)', () => {
  it.each([
    ['no scope at all', ''],
    ['only a name', '?name=app'],
    ['an empty path', '?api='],
    ['a path without its slash', '?api=api'],
    ['a path that is not in normal form', '?api=%2Fa%2F..%2Fb%2F'],
    ['a double slash', '?api=%2F%2Fapi%2F'],
    ['an escaped letter', '?api=%2F%2561pi%2F'],
    ['a query in a path', '?api=%2Fapi%3Fx'],
    ['a space', '?api=%2Fa%20b'],
    ['a second login', '?api=%2Fapi%2F&login=%2Fa&login=%2Fb'],
    ['a login that is no path', '?api=%2Fapi%2F&login=auth'],
    ['a login with a query', '?api=%2Fapi%2F&login=https%3A%2F%2Fa.example%2Fx%3Fy'],
    ['an origin with a path', '?api=%2Fapi%2F&origin=https%3A%2F%2Fa.example%2Fx'],
    ['a wildcard origin', '?api=%2Fapi%2F&origin=*'],
    ['another scheme', '?api=%2Fapi%2F&origin=javascript%3Aalert(1)'],
    ['too many paths', `?${Array.from({ length: 101 }, (_, i) => `api=%2Fp${i}%2F`).join('&')}`],
    ['broken escapes', '?api=%E0%A4%A'],
  ])('%s', (_, search) => {
    expect(readRouteScope(search)).toBeNull();
  });

  it('an accepted query is returned in canonical form', () => {
    expect(readRouteScope('?api=%2Fv2%2F&api=%2Fapi%2F&api=%2Fv2%2F')).toEqual({
      apiPaths: ['/api/', '/v2/'],
      origins: [],
      login: null,
    });
    expect(readRouteScope(undefined)).toBeNull();
  });
});
