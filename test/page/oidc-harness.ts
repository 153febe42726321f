// The pieces an OIDC login crosses, for the `sw-token-broker/oidc` tests: a page (location,
// history, session and local storage), an OpenID provider that checks PKCE and counts what it
// received, and the real worker broker capturing the code exchange (sw/login-capture.ts).
import { createHash } from 'node:crypto';
import { vi } from 'vitest';
import type { DeclarativeConfig } from '../../shared/config.js';
import type { OidcBroker } from '../../src/oidc/index.js';
import { Broker } from '../../sw/broker.js';
import { captureLogin } from '../../sw/login-capture.js';
import { recordingBroadcaster, uniqueStore } from './worker-harness.js';

export const APP = 'https://app.test';
export const ISSUER = 'https://auth.test';
export const CLIENT_ID = 'my-spa';
export const REDIRECT_URI = `${APP}/callback`;

/** An in-memory `Storage`, one per page (session) or origin (local). */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  key = (index: number): string | null => [...this.items.keys()][index] ?? null;
  getItem = (key: string): string | null => this.items.get(key) ?? null;
  setItem = (key: string, value: string): void => void this.items.set(key, String(value));
  removeItem = (key: string): void => void this.items.delete(key);
  clear = (): void => this.items.clear();
}

/** The page the helper runs in: its URL, what it navigated to, its storages. */
export function stubPage(href = `${APP}/inbox?folder=1`) {
  const page = {
    url: new URL(href),
    /** Every `location.assign(url)`: the browser left for that URL. */
    navigations: [] as string[],
    session: new MemoryStorage(),
    local: new MemoryStorage(),
    /** Opens `href` in this tab (a redirect back from the provider, or history). */
    open(next: string): void {
      page.url = new URL(next);
    },
  };
  vi.stubGlobal('location', {
    get href() {
      return page.url.href;
    },
    get origin() {
      return page.url.origin;
    },
    get pathname() {
      return page.url.pathname;
    },
    assign: (url: string) => void page.navigations.push(url),
  });
  vi.stubGlobal('history', {
    state: null,
    replaceState(_state: unknown, _unused: string, url: string) {
      page.url = new URL(url, page.url);
    },
  });
  vi.stubGlobal('sessionStorage', page.session);
  vi.stubGlobal('localStorage', page.local);
  return page;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned-looking compact JWS with `claims` (the helper does not check signatures). */
export function jws(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'RS256', kid: 'k1' })}.${b64url(claims)}.c2lnbmF0dXJl`;
}

interface IssuedCode {
  challenge: string;
  method: string;
  nonce: string | undefined;
  redirectUri: string;
  clientId: string;
  used: boolean;
}

/**
 * An OpenID provider: discovery, an authorization endpoint played by `authorize`, a token
 * endpoint that verifies PKCE (S256, computed here with node:crypto, not the helper's code)
 * and accepts each code once, and RFC 7009 revocation. `idTokenClaims` lets a test tamper with
 * the ID token it issues.
 */
export function fakeProvider(options: { endSession?: boolean; issParameter?: boolean } = {}) {
  const metadata: Record<string, unknown> = {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/authorize`,
    token_endpoint: `${ISSUER}/oauth/token`,
    revocation_endpoint: `${ISSUER}/oauth/revoke`,
    ...(options.endSession === false ? {} : { end_session_endpoint: `${ISSUER}/logout` }),
    authorization_response_iss_parameter_supported: options.issParameter ?? true,
  };
  const codes = new Map<string, IssuedCode>();
  const provider = {
    metadata,
    discoveryRequests: 0,
    /** The form of every token endpoint request. */
    tokenRequests: [] as Array<Record<string, string>>,
    revoked: [] as string[],
    /** Change the ID token's claims before it is issued. */
    idTokenClaims: (claims: Record<string, unknown>): Record<string, unknown> => claims,
    /** Leave the refresh token out of the token response (no `offline_access`). */
    omitRefreshToken: false,
    /** Whether the page ever held a refresh token the provider issued. */
    issuedRefreshTokens: [] as string[],

    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      if (url.href === `${ISSUER}/.well-known/openid-configuration` && request.method === 'GET') {
        provider.discoveryRequests++;
        return Response.json(metadata);
      }
      if (url.href === metadata.token_endpoint && request.method === 'POST') {
        const form = Object.fromEntries(new URLSearchParams(await request.text()));
        provider.tokenRequests.push(form);
        const issued = codes.get(form.code ?? '');
        const refuse = (description: string) =>
          Response.json({ error: 'invalid_grant', error_description: description }, { status: 400 });
        if (form.grant_type !== 'authorization_code') return refuse('unsupported grant');
        if (!issued || issued.used) return refuse('code not found or already used');
        issued.used = true;
        if (form.client_id !== issued.clientId || form.redirect_uri !== issued.redirectUri)
          return refuse('client or redirect_uri mismatch');
        const challenge = createHash('sha256')
          .update(form.code_verifier ?? '')
          .digest('base64url');
        if (issued.method !== 'S256' || challenge !== issued.challenge)
          return refuse('PKCE verification failed');
        const now = Math.floor(Date.now() / 1000);
        const refreshToken = `rt-${provider.issuedRefreshTokens.length + 1}`;
        provider.issuedRefreshTokens.push(refreshToken);
        const claims = provider.idTokenClaims({
          iss: ISSUER,
          sub: 'user-1',
          aud: CLIENT_ID,
          exp: now + 300,
          iat: now,
          ...(issued.nonce === undefined ? {} : { nonce: issued.nonce }),
        });
        return Response.json({
          access_token: jws({ sub: 'user-1', exp: now + 60 }),
          token_type: 'Bearer',
          expires_in: 60,
          id_token: jws(claims),
          ...(provider.omitRefreshToken ? {} : { refresh_token: refreshToken }),
        });
      }
      if (url.href === metadata.revocation_endpoint && request.method === 'POST') {
        provider.revoked.push(new URLSearchParams(await request.text()).get('token') ?? '');
        return new Response(null, { status: 200 });
      }
      return new Response('not found', { status: 404 });
    }) as typeof fetch,

    /**
     * The user at the authorization endpoint: `authorizationUrl` is where the helper sent the
     * browser. Returns the provider's redirect back: a code, or `error` when given.
     */
    authorize(authorizationUrl: string, error?: { error: string; error_description?: string }): string {
      const query = new URL(authorizationUrl).searchParams;
      const back = new URL(query.get('redirect_uri') ?? '');
      if (error) {
        for (const [name, value] of Object.entries(error)) back.searchParams.set(name, value);
      } else {
        const code = `code-${codes.size + 1}`;
        codes.set(code, {
          challenge: query.get('code_challenge') ?? '',
          method: query.get('code_challenge_method') ?? 'plain',
          nonce: query.get('nonce') ?? undefined,
          redirectUri: query.get('redirect_uri') ?? '',
          clientId: query.get('client_id') ?? '',
          used: false,
        });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', query.get('state') ?? '');
      if (metadata.authorization_response_iss_parameter_supported) back.searchParams.set('iss', ISSUER);
      return back.href;
    },
  };
  return provider;
}

export type FakeProvider = ReturnType<typeof fakeProvider>;

/**
 * The worker side: a real `Broker` with the helper's worker config, capturing the code exchange
 * with the real `captureLogin` (what the worker does for `broker.fetch` and for a plain `fetch`
 * on a page it controls) and revoking at logout. `capture: false` plays a page without a worker
 * (its fetch goes straight to the provider).
 */
export function workerSide(provider: FakeProvider, config: DeclarativeConfig, { capture = true } = {}) {
  const broker = new Broker({
    origin: APP,
    store: uniqueStore(),
    broadcaster: recordingBroadcaster(),
    fetch: provider.fetch,
    config,
    lock: (fn) => fn(),
    sleep: async () => undefined,
    isOnline: () => true,
  });
  const logouts: number[] = [];
  const client: OidcBroker = {
    fetch: (input, init) =>
      capture ? captureLogin(broker, new Request(input, init), provider.fetch) : provider.fetch(input, init),
    logout: async () => {
      logouts.push(Date.now());
      await broker.logout();
    },
  };
  return { broker, client, logouts };
}
