import type { DeclarativeConfig } from '../src/index.js';

// The worker config of the demo. Query parameters let tests shorten the timings
// (e.g. `/?lead=1`) or play another deployment; a real app writes its values here directly.
export function demoWorkerConfig(search: string): DeclarativeConfig {
  const q = new URLSearchParams(search);
  const num = (name: string): number | undefined => (q.has(name) ? Number(q.get(name)) : undefined);
  const config: DeclarativeConfig = {
    tokenEndpoint: '/api/auth/refresh',
    loginEndpoint: '/api/auth/login',
    revocationEndpoint: '/api/auth/revoke',
    apiPaths: ['/api/'],
  };
  const lead = num('lead');
  if (lead !== undefined) config.refreshLeadSeconds = lead;
  const timeout = num('refreshTimeout');
  if (timeout !== undefined) config.refreshTimeoutSeconds = timeout;
  const wait = num('requestWait');
  if (wait !== undefined) config.requestWaitSeconds = wait;
  const backoff = num('backoff');
  if (backoff !== undefined) config.backoff = { initialSeconds: backoff, maxSeconds: Math.max(backoff, 2) };
  // `?respectAuth=0`: the worker puts the user's token over an Authorization the app set (the Supabase setup).
  if (q.get('respectAuth') === '0') config.respectExistingAuthorization = false;
  const attempts = num('attempts');
  if (attempts !== undefined) config.maxRefreshAttempts = attempts;
  // Another deployment's config: its version, login capture off (`capture=0`), an excluded path.
  const version = num('configVersion');
  if (version !== undefined) config.configVersion = version;
  if (q.get('capture') === '0') delete config.loginEndpoint;
  const exclude = q.get('exclude');
  if (exclude) config.excludePaths = [exclude];
  // Tests: `?worker=<JSON>` is merged over the config unchecked, so the worker's own validation
  // is what judges it (e2e/config-matrix.spec.ts, e2e/path-normalisation.spec.ts).
  const overrides = q.get('worker');
  if (overrides !== null) Object.assign(config, JSON.parse(overrides) as Partial<DeclarativeConfig>);
  return config;
}

/**
 * The demo as one of several apps on this origin: under `/apps/<name>/` it registers its own
 * broker (its own name, so its own database, channel and locks) with that scope.
 */
export function demoApp(pathname: string): { name?: string; scope?: string } {
  const name = /^\/apps\/([^/]+)\/$/.exec(pathname)?.[1];
  return name ? { name, scope: `/apps/${name}/` } : {};
}
