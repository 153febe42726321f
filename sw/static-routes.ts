import { isEndpointPath, matchesPathPrefix } from '../shared/paths.js';
import { type RouteScope, routeScopeOf } from '../shared/route-scope.js';
import type { ResolvedConfig } from './settings.js';

// Chromium's service-worker static routing (`InstallEvent.addRoutes`) lets requests the broker
// never touches skip the worker entirely (docs/platform-facts.md §17). Feature detected:
// elsewhere those requests reach the fetch handler, which returns at once (`mayReachBroker`).

const STATIC_DESTINATIONS = [
  'document',
  'script',
  'style',
  'image',
  'font',
  'manifest',
  'audio',
  'video',
  'track',
  'worker',
  'iframe',
  'object',
  'embed',
];

/** A URLPattern, as its init dictionary or (for a case-insensitive one) the object. */
type Pattern = Record<string, string> | object;

export interface RouterRule {
  condition: Record<string, unknown>;
  source: 'network';
}

interface RoutableInstallEvent extends ExtendableEvent {
  addRoutes?: (rules: RouterRule | RouterRule[]) => Promise<void>;
}

/** Whether this worker's browser has static routing (`InstallEvent.prototype.addRoutes`). */
export function hasStaticRouting(scope: object): boolean {
  const install = (scope as { InstallEvent?: { prototype?: object } }).InstallEvent?.prototype;
  return install !== undefined && 'addRoutes' in install;
}

/** Navigations and every non-fetch destination (scripts, styles, images…): never an API call. */
export const STATIC_RULES: RouterRule[] = [
  { condition: { requestMode: 'navigate' }, source: 'network' },
  {
    condition: { or: STATIC_DESTINATIONS.map((requestDestination) => ({ requestDestination })) },
    source: 'network',
  },
];

// Pattern syntax is escaped so a path means itself (a `(` would otherwise be a regexp group, refused).
const literal = (text: string): string => text.replace(/[\\:*?+(){}]/g, '\\$&');

/** A path that some server reading turns into another (escapes, `;params`, `//`): the handler decides those. */
const ODD_PATHS = ['*%*', '*;*', '//*', '*//*'];

/**
 * The patterns of every request the broker may act on, given `scope`: API paths on this origin
 * (the prefix itself and below it, as `matchesPathPrefix`), paths the handler must read before
 * it can tell (shared/paths.ts), any path on an allowed origin, and the login endpoint (any
 * case, with or without a trailing `/`, as the handler compares it).
 */
export function brokerPatterns(scope: RouteScope, origin: string): Pattern[] {
  const at = (pathname: string, baseURL = origin): Pattern => ({ pathname, baseURL });
  const patterns = [...ODD_PATHS.map((p) => at(p)), ...scope.origins.map((o) => at('*', o))];
  for (const prefix of scope.apiPaths) {
    const base = literal(prefix.replace(/\/$/, ''));
    patterns.push(...(base === '' ? [at('/*')] : [at(base), at(`${base}/*`)]));
  }
  if (scope.login !== null) {
    const login = new URL(scope.login, origin);
    const path = literal(login.pathname.replace(/(.)\/$/, '$1'));
    patterns.push(new URLPattern({ pathname: `${path}{/}?`, baseURL: login.origin }, { ignoreCase: true }));
  }
  return patterns;
}

/** Everything outside `scope` goes to the network: the broker would pass it through untouched. */
export function outsideScopeRule(scope: RouteScope, origin: string): RouterRule {
  const or = brokerPatterns(scope, origin).map((urlPattern) => ({ urlPattern }));
  return { condition: { not: { or } }, source: 'network' };
}

/**
 * Registers routes that send requests past this worker, if the browser supports them: the
 * static ones (`STATIC_RULES`) and, given a scope, everything outside it. Each set is added on
 * its own; a set the browser refuses (a `TypeError`) is dropped, never failing the install, and
 * then those requests reach the fetch handler as before.
 */
export function addBypassRoutes(
  event: ExtendableEvent,
  statics: boolean,
  scope: () => Promise<RouteScope | null>,
  origin: string,
): void {
  const install = event as RoutableInstallEvent;
  if (typeof install.addRoutes !== 'function') return;
  const add = async (rules: () => RouterRule[]): Promise<unknown> => install.addRoutes?.(rules());
  if (statics) event.waitUntil(add(() => STATIC_RULES).catch(() => undefined));
  // Still inside the install event after an await (docs/platform-facts.md §17). URLPattern is
  // there wherever addRoutes is; building the patterns may still throw: no route then.
  event.waitUntil(
    scope()
      .then((s) => s && add(() => [outsideScopeRule(s, origin)]))
      .catch(() => undefined),
  );
}

const scopes = new WeakMap<ResolvedConfig, RouteScope | null>();

/** The route scope of a resolved config (computed once per config object). */
export function configScope(config: ResolvedConfig, origin: string): RouteScope | null {
  let scope = scopes.get(config);
  if (scope === undefined) {
    scope = routeScopeOf(
      {
        apiPaths: config.apiPaths,
        allowedOrigins: [...config.allowedOrigins],
        ...(config.loginEndpoint ? { loginEndpoint: config.loginEndpoint.href } : {}),
      },
      origin,
    );
    scopes.set(config, scope);
  }
  return scope;
}

/**
 * The fetch handler's first check, the same rule as `outsideScopeRule` for browsers without
 * static routing: false when the broker would pass `url` through untouched, so it returns
 * before any other work. Cheap: no path readings unless the path has odd characters.
 */
export function mayReachBroker(url: URL, scope: RouteScope, origin: string): boolean {
  if (url.origin !== origin) return scope.origins.includes(url.origin) || isLogin(url, scope, origin);
  const path = url.pathname;
  if (/[%;]|\/\//.test(path)) return true;
  return scope.apiPaths.some((p) => matchesPathPrefix(path, p)) || isLogin(url, scope, origin);
}

function isLogin(url: URL, scope: RouteScope, origin: string): boolean {
  const login = scope.login === null ? null : new URL(scope.login, origin);
  return login?.origin === url.origin && isEndpointPath(url.pathname, [login.pathname]);
}
