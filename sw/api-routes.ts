import { matchesPathPrefix } from '../shared/paths.js';
import type { ApiRoutes } from './install.js';

/** Whether `InstallOptions.routes` leaves this (in-scope) request to the app's Workbox routes. */
export function leftToWorkbox(routes: ApiRoutes, request: Request): boolean {
  if (routes === 'builtin') return false;
  if (routes === 'workbox') return true;
  const path = new URL(request.url).pathname;
  return routes.workbox.some((prefix) => matchesPathPrefix(path, prefix));
}
