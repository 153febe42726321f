import type { DeclarativeConfig } from '../../shared/config.js';
import { handleCallback, type OidcLoginResult } from './callback.js';
import type { OidcBroker } from './code-exchange.js';
import { fetchMetadata, type ProviderMetadata } from './metadata.js';
import { savePendingLogin } from './pending-login.js';
import { codeChallenge, randomToken } from './pkce.js';

/** Options of `discoverOidc` and `createOidcLogin`. */
export interface OidcOptions {
  /** The provider's issuer, exactly as its discovery document writes it, e.g. `https://auth.example.com`. */
  issuer: string;
  /** A public client (no secret; `token_endpoint_auth_method: 'none'`) registered for PKCE. */
  clientId: string;
  /** The registered redirect URI: the app page that calls `handleCallback`. */
  redirectUri: string;
  /** Scopes asked for. The broker needs a refresh token: keep `offline_access`, or what your provider wants. @default 'openid offline_access' */
  scope?: string;
  /**
   * More authorization request parameters, e.g. `{ prompt: 'consent' }` (oidc-provider grants
   * `offline_access` only with it), a `resource` (RFC 8707) or `audience`. @default {}
   */
  authorizationParams?: Record<string, string>;
  /** Where the provider sends the browser after `logout()` (a registered `post_logout_redirect_uri`). */
  postLogoutRedirectUri?: string;
}

/** A provider's login for one client: redirect, callback, logout. */
export interface OidcLogin {
  readonly metadata: ProviderMetadata;
  /**
   * The broker's worker config for this provider: refresh at its token endpoint (`oauth2`
   * format), capture the code exchange there, revoke at its revocation endpoint, with those
   * origins allowed. Your own fields are merged in (`allowedOrigins` joined).
   */
  workerConfig(config?: Partial<DeclarativeConfig>): DeclarativeConfig;
  /** Sends the browser to the authorization endpoint (code flow, PKCE S256, `state`, `nonce`). */
  login(options?: { params?: Record<string, string>; returnTo?: string }): Promise<void>;
  /**
   * On the redirect URI: checks the provider's answer, exchanges the code through the worker
   * (which keeps the refresh token), checks the ID token, and removes the answer from the URL.
   * `null` when the URL holds no answer or this tab has no login pending (a callback replayed
   * from history). Failures are `TokenBrokerError`s: `state-mismatch`, `login-callback-failed`,
   * `login-not-captured`, `invalid-id-token`.
   */
  handleCallback(broker: OidcBroker, href?: string): Promise<OidcLoginResult | null>;
  /**
   * Ends the session in every tab (the worker revokes the refresh token first), then sends the
   * browser to the provider's `end_session_endpoint`, when it has one, with `id_token_hint`.
   */
  logout(broker: OidcBroker, options?: { postLogoutRedirectUri?: string }): Promise<void>;
}

const idTokenKey = (clientId: string): string => `sw-token-broker:oidc:id-token:${clientId}`;

/** The login for a provider whose metadata you already have (no discovery request). */
export function createOidcLogin(metadata: ProviderMetadata, options: OidcOptions): OidcLogin {
  const { clientId, redirectUri } = options;
  const scope = options.scope ?? 'openid offline_access';
  const openid = scope.split(/\s+/).includes('openid');
  // localStorage, not sessionStorage: any tab may log out. It is no credential for an API.
  const idTokens = {
    keep: (idToken: string) => localStorage.setItem(idTokenKey(clientId), idToken),
    take: () => {
      const idToken = localStorage.getItem(idTokenKey(clientId));
      localStorage.removeItem(idTokenKey(clientId));
      return idToken;
    },
  };

  return {
    metadata,
    workerConfig(config = {}) {
      const endpoints = [metadata.token_endpoint, metadata.revocation_endpoint];
      const origins = endpoints.flatMap((u) => (u ? [new URL(u).origin] : []));
      const allowedOrigins = [...new Set([...(config.allowedOrigins ?? []), ...origins])].filter(
        (origin) => origin !== location.origin,
      );
      return {
        tokenEndpoint: metadata.token_endpoint,
        format: 'oauth2',
        clientId,
        loginEndpoint: metadata.token_endpoint,
        ...(metadata.revocation_endpoint ? { revocationEndpoint: metadata.revocation_endpoint } : {}),
        ...config,
        allowedOrigins,
      };
    },

    async login({ params = {}, returnTo = location.href } = {}) {
      const verifier = randomToken();
      const state = randomToken();
      const nonce = randomToken();
      const url = new URL(metadata.authorization_endpoint);
      for (const [name, value] of Object.entries({
        ...options.authorizationParams,
        ...params,
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope,
        state,
        code_challenge: await codeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(openid ? { nonce } : {}),
      }))
        url.searchParams.set(name, value);
      savePendingLogin(clientId, { issuer: metadata.issuer, state, nonce, verifier, returnTo });
      location.assign(url.href);
    },

    handleCallback: (broker, href = location.href) =>
      handleCallback({ metadata, clientId, redirectUri, scope, keepIdToken: idTokens.keep }, broker, href),

    async logout(broker, { postLogoutRedirectUri = options.postLogoutRedirectUri } = {}) {
      await broker.logout();
      const idToken = idTokens.take();
      if (!metadata.end_session_endpoint) return;
      const url = new URL(metadata.end_session_endpoint);
      // RP-Initiated Logout 1.0 §2: client_id lets the provider check the redirect without a hint.
      url.searchParams.set('client_id', clientId);
      if (idToken) url.searchParams.set('id_token_hint', idToken);
      if (postLogoutRedirectUri) url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
      location.assign(url.href);
    },
  };
}

/**
 * Reads the provider's discovery document (`<issuer>/.well-known/openid-configuration`) and
 * returns its login for your client. Fails with `discovery-failed`.
 *
 * @example
 * const oidc = await discoverOidc({ issuer, clientId: 'my-spa', redirectUri: `${location.origin}/callback` });
 * const broker = await registerTokenBroker({ worker: oidc.workerConfig({ apiPaths: ['/api/'] }) });
 * if (location.pathname === '/callback') await oidc.handleCallback(broker);
 */
export async function discoverOidc(options: OidcOptions): Promise<OidcLogin> {
  return createOidcLogin(await fetchMetadata(options.issuer), options);
}
