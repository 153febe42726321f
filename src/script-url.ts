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
 * as `scriptUrl` (same path, same broker name) under another declared route scope; null
 * otherwise. Such a worker was registered by a page whose config was accepted: registering
 * `scriptUrl` over it would install a new version for every tab before the owner rule
 * (sw/config-owner.ts) had a say, so the page first sends its config to that worker. A URL
 * without a scope (an older build, another worker) has no routes to keep: a new version's
 * install checks its own against the stored config (sw/install.ts).
 */
export async function sameScriptElsewhere(
  scriptUrl: string,
  scope: string | undefined,
): Promise<string | null> {
  const registration = await navigator.serviceWorker
    ?.getRegistration(scope ?? new URL(scriptUrl, location.href).href)
    .catch(() => undefined);
  const newest = registration?.installing ?? registration?.waiting ?? registration?.active;
  return newest && otherScope(newest.scriptURL, scriptUrl) ? newest.scriptURL : null;
}

/** Whether `url` runs the same script as `scriptUrl` (path, broker name) with another declared scope. */
export function otherScope(url: string | undefined, scriptUrl: string): boolean {
  if (!url) return false;
  const wanted = new URL(scriptUrl, location.href);
  const other = new URL(url);
  return (
    other.origin === wanted.origin &&
    other.pathname === wanted.pathname &&
    other.searchParams.get(NAME_PARAM) === wanted.searchParams.get(NAME_PARAM) &&
    other.searchParams.has(ROUTE_SCOPE_PARAM) &&
    other.href !== wanted.href
  );
}
