import type { DeclarativeConfig } from '../shared/config.js';
import { NAME_PARAM } from '../shared/names.js';
import { ROUTE_SCOPE_PARAM, routeScopeOf, withRouteScope } from '../shared/route-scope.js';

/**
 * The script URL a config registers: the standalone worker's carries the config's route scope
 * (shared/route-scope.ts), canonical, so one config is one URL and a changed scope is a new worker
 * version whose static routes follow it. An app's own `Workbox` keeps its URL.
 */
export function scopedScriptUrl(
  scriptUrl: string,
  config: DeclarativeConfig | undefined,
  own: boolean,
): string {
  const scope = config && !own ? routeScopeOf(config, location.origin) : null;
  return scope ? withRouteScope(scriptUrl, scope, location.href) : scriptUrl;
}

/**
 * The URL of the newest worker registered for this page's scope when it runs the same script
 * as `scriptUrl` (same path, same broker name) under another URL: another declared route scope,
 * or none (an older build, a browser without static routing); null otherwise. Registering
 * `scriptUrl` over it installs a new version for every tab, so the page first sends its config
 * to that worker: the owner rule (sw/config-owner.ts) decides before anything is installed, and
 * the worker's status says whether a new URL would buy routes at all (`canRoute`).
 */
export async function sameScriptElsewhere(
  scriptUrl: string,
  scope: string | undefined,
): Promise<string | null> {
  const registration = await navigator.serviceWorker
    ?.getRegistration(scope ?? new URL(scriptUrl, location.href).href)
    .catch(() => undefined);
  const newest = registration?.installing ?? registration?.waiting ?? registration?.active;
  return newest && sameScript(newest.scriptURL, scriptUrl) ? newest.scriptURL : null;
}

/** Whether `url` runs the same script as `scriptUrl` (path, broker name) under another URL. */
function sameScript(url: string, scriptUrl: string): boolean {
  const wanted = new URL(scriptUrl, location.href);
  const other = new URL(url);
  return (
    other.origin === wanted.origin &&
    other.pathname === wanted.pathname &&
    other.searchParams.get(NAME_PARAM) === wanted.searchParams.get(NAME_PARAM) &&
    other.href !== wanted.href
  );
}

/** Whether `url` runs the same script as `scriptUrl` (path, broker name) with another declared scope. */
export function otherScope(url: string | undefined, scriptUrl: string): boolean {
  return !!url && sameScript(url, scriptUrl) && new RegExp(`[?&]${ROUTE_SCOPE_PARAM}=`).test(url);
}
