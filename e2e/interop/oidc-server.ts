// A real OpenID Connect provider (`oidc-provider`) for the interop suite, on its own port
// (another origin than the app), with refresh-token rotation, PKCE-only public client, and
// JWT access tokens for one resource server (RFC 8707 resource indicators, RFC 9068 format).
// It counts what its token endpoint answered through the provider's own events.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
// No public API rotates the DPoP nonce secret of a running provider: its internals do.
import ServerChallenge from 'oidc-provider/lib/helpers/challenge.js';
import providerInternals from 'oidc-provider/lib/helpers/weak_cache.js';
import { listenOnLoopback, type Listening } from './listen.js';

export interface OidcServerOptions {
  /** Origin of the app whose `/callback` is the client's only redirect URI, and `/` its post-logout one. */
  appOrigin: string;
  /** Access-token lifetime in seconds. */
  accessTtlSeconds: number;
  /**
   * DPoP (RFC 9449, `features.dPoP`) with nonces required at the token endpoint; the client's
   * access tokens are always DPoP-bound (`dpop_bound_access_tokens`). @default false
   */
  dpop?: boolean;
}

/** One token endpoint answer, as the provider's events reported it. */
export interface TokenEvent {
  at: number;
  grantType: string;
  outcome: 'success' | 'error';
  /** OAuth error code (`invalid_grant`, …) for errors. */
  error?: string;
  /** Provider's own description, e.g. "refresh token already used". */
  detail?: string;
  /** `exp` (epoch s) of the access token issued, for successes. */
  accessTokenExp?: number;
}

export interface OidcCounters {
  /** Every token endpoint request (POST), however it ended. */
  tokenPosts: number;
  /** CORS preflights at the token endpoint. */
  tokenPreflights: number;
  events: TokenEvent[];
  /** Refresh tokens the provider rotated away (each must be consumed once). */
  consumedRefreshTokens: number;
  /** Revocation endpoint (RFC 7009) requests and refresh tokens it destroyed. */
  revocationPosts: number;
  destroyedRefreshTokens: number;
  /** Token endpoint answers `use_dpop_nonce` (a proof without the current nonce; nothing was consumed). */
  dpopNonceDemands: number;
  /** Token endpoint answers `invalid_dpop_proof`. */
  dpopInvalidProofs: number;
  /** The query of every authorization request (`/auth`), as the provider received it. */
  authorizationRequests: Array<Record<string, string>>;
  /** The query of every RP-initiated logout request (`/session/end`), with the number of refresh-token revocations that had reached the provider by then. */
  endSessionRequests: Array<{ query: Record<string, string>; revocationPostsBefore: number }>;
  /** RP-initiated logouts the provider completed (`end_session.success`). */
  endSessions: number;
}

export interface OidcServer {
  issuer: string;
  clientId: string;
  /** The resource indicator the access tokens are minted for (the app's API). */
  resource: string;
  scope: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string;
  endSessionEndpoint: string;
  /** The client's registered post-logout redirect URI (the app's `/`). */
  postLogoutRedirectUri: string;
  jwksUri: string;
  counters: OidcCounters;
  /** Successful refresh grants. */
  refreshes(): TokenEvent[];
  /** `invalid_grant` answers of any grant. */
  invalidGrants(): TokenEvent[];
  /** Revokes every grant issued so far, as an admin or the user's "revoke app access" would. */
  revokeAllGrants(): Promise<number>;
  /** A new DPoP nonce secret (`dpop`): every nonce handed out so far stops being accepted. */
  rotateDpopNonceSecret(): void;
  close(): Promise<void>;
}

export const CLIENT_ID = 'sw-token-broker-interop';
export const API_SCOPE = 'api:read';

export async function startOidcServer(options: OidcServerOptions): Promise<OidcServer> {
  // Listen first: the issuer URL must name the port before the provider is built.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const http = createServer((req, res) => handler(req, res));
  const listening: Listening = await listenOnLoopback(http);
  const issuer = listening.url;
  const resource = `${options.appOrigin}/api/`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'interop-rs256', alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    clients: [
      {
        client_id: CLIENT_ID,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${options.appOrigin}/callback`],
        post_logout_redirect_uris: [`${options.appOrigin}/`],
        ...(options.dpop ? { dpop_bound_access_tokens: true } : {}),
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: ['interop-cookie-key-not-a-secret'] },
    scopes: ['openid', 'offline_access', API_SCOPE],
    // Every refresh rotates: the old refresh token is consumed, and presenting it again
    // revokes the whole grant (lib/actions/grants/refresh_token.js).
    rotateRefreshToken: true,
    pkce: { required: () => true },
    ttl: {
      AccessToken: options.accessTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
      IdToken: 3600,
    },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    features: {
      // The provider's own (unstyled) login and consent pages; any login/password is accepted.
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      ...(options.dpop
        ? { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } }
        : {}),
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        // Refresh grants carry no `resource`: keep minting tokens for the granted one.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope: API_SCOPE,
            audience: resource,
            accessTokenTTL: options.accessTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  };
  const provider = new Provider(issuer, configuration);
  // Default clientBasedCORS is kept on purpose: it lets a public client's redirect-URI origin
  // call the token and revocation endpoints, which is what the broker's worker relies on.

  const counters: OidcCounters = {
    tokenPosts: 0,
    tokenPreflights: 0,
    events: [],
    consumedRefreshTokens: 0,
    revocationPosts: 0,
    destroyedRefreshTokens: 0,
    dpopNonceDemands: 0,
    dpopInvalidProofs: 0,
    authorizationRequests: [],
    endSessionRequests: [],
    endSessions: 0,
  };
  const grantIds = new Set<string>();
  const grantType = (ctx: KoaContextWithOIDC): string => String(ctx.oidc.params?.grant_type ?? '');
  provider.on('grant.success', (ctx) => {
    const grant = ctx.oidc.entities.Grant;
    if (grant?.jti) grantIds.add(grant.jti);
    counters.events.push({
      at: Date.now(),
      grantType: grantType(ctx),
      outcome: 'success',
      accessTokenExp: ctx.oidc.entities.AccessToken?.exp,
    });
  });
  provider.on('grant.error', (ctx, error) => {
    if (error.error === 'use_dpop_nonce') counters.dpopNonceDemands++;
    if (error.error === 'invalid_dpop_proof') counters.dpopInvalidProofs++;
    counters.events.push({
      at: Date.now(),
      grantType: grantType(ctx),
      outcome: 'error',
      error: error.error,
      detail: error.error_detail ?? error.error_description,
    });
  });
  provider.on('refresh_token.consumed', () => counters.consumedRefreshTokens++);
  provider.on('refresh_token.destroyed', () => counters.destroyedRefreshTokens++);
  provider.on('end_session.success', () => counters.endSessions++);

  const callback = provider.callback();
  handler = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const path = url.pathname;
    if (path === '/auth' && req.method === 'GET')
      counters.authorizationRequests.push(Object.fromEntries(url.searchParams));
    if (path === '/session/end' && req.method === 'GET')
      counters.endSessionRequests.push({
        query: Object.fromEntries(url.searchParams),
        revocationPostsBefore: counters.revocationPosts,
      });
    if (path === '/token' && req.method === 'POST') counters.tokenPosts++;
    if (path === '/token' && req.method === 'OPTIONS') counters.tokenPreflights++;
    if (path === '/token/revocation' && req.method === 'POST') counters.revocationPosts++;
    void callback(req, res);
  };

  const events = (pick: (e: TokenEvent) => boolean): TokenEvent[] => counters.events.filter(pick);
  return {
    issuer,
    clientId: CLIENT_ID,
    resource,
    scope: `openid offline_access ${API_SCOPE}`,
    authorizationEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    revocationEndpoint: `${issuer}/token/revocation`,
    endSessionEndpoint: `${issuer}/session/end`,
    postLogoutRedirectUri: `${options.appOrigin}/`,
    jwksUri: `${issuer}/jwks`,
    counters,
    refreshes: () => events((e) => e.grantType === 'refresh_token' && e.outcome === 'success'),
    invalidGrants: () => events((e) => e.error === 'invalid_grant'),
    async revokeAllGrants() {
      for (const id of grantIds) {
        await Promise.all([
          provider.RefreshToken.revokeByGrantId(id),
          provider.AccessToken.revokeByGrantId(id),
          provider.Grant.adapter.destroy(id),
        ]);
      }
      return grantIds.size;
    },
    rotateDpopNonceSecret() {
      providerInternals(provider).DPoPNonces = new ServerChallenge(randomBytes(32), 'DPoP');
    },
    close: () => listening.close(),
  };
}
