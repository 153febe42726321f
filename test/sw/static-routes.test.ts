import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RouteScope } from '../../shared/route-scope.js';
import {
  addBypassRoutes,
  brokerPatterns,
  mayReachBroker,
  outsideScopeRule,
  STATIC_RULES,
} from '../../sw/static-routes.js';

const ORIGIN = 'https://app.example';
const SCOPE: RouteScope = {
  apiPaths: ['/api/', '/v1+beta/'],
  origins: ['https://api.example'],
  login: '/Auth/Login/',
};

// Node 20 has no URLPattern: a stand-in that keeps what the rule builds (Chromium's matching is e2e's).
class FakeURLPattern {
  constructor(
    readonly init: Record<string, string>,
    readonly options: Record<string, unknown>,
  ) {}
}
beforeEach(() => Object.assign(globalThis, { URLPattern: FakeURLPattern }));
afterEach(() => Reflect.deleteProperty(globalThis, 'URLPattern'));

/** An InstallEvent stand-in: records waitUntil promises and, when given, the routes added. */
function installEvent(addRoutes?: (rules: unknown) => Promise<void>) {
  const waited: Promise<unknown>[] = [];
  const event = { waitUntil: (p: Promise<unknown>) => waited.push(p), ...(addRoutes ? { addRoutes } : {}) };
  return { event: event as unknown as ExtendableEvent, waited };
}

describe('addBypassRoutes', () => {
  it('static rules: navigations and every non-fetch destination to the network, never fetch/XHR requests', async () => {
    const added: unknown[] = [];
    const { event, waited } = installEvent(async (rules) => void added.push(rules));
    addBypassRoutes(event, true, async () => null, ORIGIN);
    await Promise.all(waited);
    expect(added).toEqual([STATIC_RULES]);
    expect(STATIC_RULES.every((rule) => rule.source === 'network')).toBe(true);
    expect(STATIC_RULES[0]!.condition).toEqual({ requestMode: 'navigate' });
    const destinations = (STATIC_RULES[1]!.condition.or as Array<{ requestDestination: string }>).map(
      (c) => c.requestDestination,
    );
    expect(destinations).toEqual(expect.arrayContaining(['document', 'script', 'style', 'image', 'font']));
    // '' is fetch/XHR: the only destination an API call has, so it must reach the worker.
    expect(destinations).not.toContain('');
  });

  it('with a scope, adds the outside-scope rule in its own call, so a refusal of one keeps the other', async () => {
    const added: unknown[] = [];
    const { event, waited } = installEvent(async (rules) => {
      if (rules === STATIC_RULES) throw new TypeError('refused');
      added.push(rules);
    });
    addBypassRoutes(event, true, async () => SCOPE, ORIGIN);
    await expect(Promise.all(waited)).resolves.toBeDefined();
    expect(added).toEqual([[outsideScopeRule(SCOPE, ORIGIN)]]);
  });

  it('does nothing where static routing is missing, and never fails the install when it is refused', async () => {
    const missing = installEvent();
    expect(() => addBypassRoutes(missing.event, true, async () => SCOPE, ORIGIN)).not.toThrow();
    expect(missing.waited).toHaveLength(0);
    const refusing = installEvent(() =>
      Promise.reject(new TypeError('The pattern cannot contain regexp groups')),
    );
    addBypassRoutes(refusing.event, true, async () => SCOPE, ORIGIN);
    expect(refusing.waited).toHaveLength(2);
    await expect(Promise.all(refusing.waited)).resolves.toBeDefined();
    const throwing = installEvent(() => {
      throw new TypeError('sync');
    });
    addBypassRoutes(throwing.event, false, async () => SCOPE, ORIGIN);
    await expect(Promise.all(throwing.waited)).resolves.toBeDefined();
  });

  it('without URLPattern (nothing to build the login pattern with) adds no outside-scope rule', async () => {
    Reflect.deleteProperty(globalThis, 'URLPattern');
    const added: unknown[] = [];
    const { event, waited } = installEvent(async (rules) => void added.push(rules));
    addBypassRoutes(event, false, async () => SCOPE, ORIGIN);
    await Promise.all(waited);
    expect(added).toEqual([]);
  });
});

describe('outsideScopeRule', () => {
  it('sends everything but the broker patterns to the network, in the one condition shape Chromium accepts', () => {
    const rule = outsideScopeRule(SCOPE, ORIGIN);
    expect(rule.source).toBe('network');
    expect(Object.keys(rule.condition)).toEqual(['not']);
    const not = rule.condition.not as { or: Array<{ urlPattern: unknown }> };
    expect(Object.keys(not)).toEqual(['or']);
    expect(not.or.map((c) => c.urlPattern)).toEqual(brokerPatterns(SCOPE, ORIGIN));
  });

  it('keeps each API prefix and what lies below it, escaped, on this origin only', () => {
    const patterns = brokerPatterns(SCOPE, ORIGIN);
    for (const pathname of ['/api', '/api/*', '/v1\\+beta', '/v1\\+beta/*'])
      expect(patterns).toContainEqual({ pathname, baseURL: ORIGIN });
    // No regexp group can slip in from a path: every special character is escaped.
    const odd = brokerPatterns({ ...SCOPE, apiPaths: ['/a(b)/:c*{d}?/'] }, ORIGIN);
    expect(odd).toContainEqual({ pathname: '/a\\(b\\)/\\:c\\*\\{d\\}\\?/*', baseURL: ORIGIN });
  });

  it('keeps paths the handler must read first, any path on an allowed origin, and the login in any case', () => {
    const patterns = brokerPatterns(SCOPE, ORIGIN);
    for (const pathname of ['*%*', '*;*', '//*', '*//*'])
      expect(patterns).toContainEqual({ pathname, baseURL: ORIGIN });
    expect(patterns).toContainEqual({ pathname: '*', baseURL: 'https://api.example' });
    const login = patterns.find((p) => p instanceof FakeURLPattern) as FakeURLPattern;
    expect(login.init).toEqual({ pathname: '/Auth/Login{/}?', baseURL: ORIGIN });
    expect(login.options).toEqual({ ignoreCase: true });
  });

  it('apiPaths ["/"] keeps every path of this origin', () => {
    expect(brokerPatterns({ apiPaths: ['/'], origins: [], login: null }, ORIGIN)).toContainEqual({
      pathname: '/*',
      baseURL: ORIGIN,
    });
  });
});

describe('mayReachBroker (the handler check where static routing is missing)', () => {
  it.each([
    ['/api/x', true],
    ['/api', true],
    ['/apix', false],
    ['/other', false],
    ['/manifest.webmanifest', false],
    ['/v1+beta/x', true],
    ['/%61pi/x', true],
    [`${ORIGIN}//api/x`, true],
    ['/x;y', true],
    ['/auth/login', true],
    ['/AUTH/LOGIN/', true],
    ['/auth/login/x', false],
    ['https://api.example/anything', true],
    ['https://cdn.example/api/x', false],
  ])('%s → %s', (path, expected) => {
    expect(mayReachBroker(new URL(path, ORIGIN), SCOPE, ORIGIN)).toBe(expected);
  });
});
