import type { DeclarativeConfig } from '../../src/index.js';
import type { OidcOptions } from '../../src/oidc/index.js';

/** What the interop page reads from `/interop-config.json`. */
export interface PageConfig {
  /** Passed verbatim to `registerTokenBroker({ worker })` (not with `oidc`). */
  worker?: DeclarativeConfig;
  /**
   * OpenID Connect login through the `sw-token-broker/oidc` helper: the page discovers the
   * provider and derives its worker config from it (`oidc.workerConfig(worker)`), so `worker`
   * above is left out.
   */
  oidc?: { options: OidcOptions; worker: Partial<DeclarativeConfig> };
  /** Password login against a GoTrue (Supabase Auth) server. */
  gotrue?: { url: string; apiKey: string };
}

/** One `/api/` call made by the page: its status, or the error it threw. */
export interface CallResult {
  status: number;
  error?: string;
}
