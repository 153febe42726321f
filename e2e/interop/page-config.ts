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

/** What the README's OpenID Connect recipe needs from the provider under test. */
export interface RecipeProvider {
  issuer: string;
  clientId: string;
  scope: string;
  resource: string;
  postLogoutRedirectUri: string;
}

/**
 * The README's OpenID Connect recipe as the interop page runs it: the page discovers the
 * provider, and the worker config (`worker`, merged over the derived one) follows from it.
 */
export function oidcRecipe(
  provider: RecipeProvider,
  appUrl: string,
  worker: Partial<DeclarativeConfig>,
): PageConfig {
  return {
    oidc: {
      options: {
        issuer: provider.issuer,
        clientId: provider.clientId,
        redirectUri: `${appUrl}/callback`,
        scope: provider.scope,
        // oidc-provider grants offline_access (a refresh token) only with an explicit consent prompt.
        authorizationParams: { prompt: 'consent', resource: provider.resource },
        postLogoutRedirectUri: provider.postLogoutRedirectUri,
      },
      worker,
    },
  };
}
