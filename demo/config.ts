import type { DeclarativeConfig } from '../src/index.js';

// The worker config of the demo. Query parameters let tests shorten the timings
// (e.g. `/?lead=1`); a real app writes its values here directly.
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
  const attempts = num('attempts');
  if (attempts !== undefined) config.maxRefreshAttempts = attempts;
  // Tests: `?worker=<JSON>` is merged over the config unchecked, so the worker's own validation
  // is what judges it (e2e/config-matrix.spec.ts, e2e/path-normalisation.spec.ts).
  const overrides = q.get('worker');
  if (overrides !== null) Object.assign(config, JSON.parse(overrides) as Partial<DeclarativeConfig>);
  return config;
}
