import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isTokenBrokerError } from '../../shared/errors.js';
import { discoverOidc, type OidcOptions } from '../../src/oidc/index.js';
import { resolveConfig } from '../../sw/settings.js';
import { APP, CLIENT_ID, fakeProvider, ISSUER, REDIRECT_URI, stubPage, workerSide } from './oidc-harness.js';

const OPTIONS: OidcOptions = { issuer: ISSUER, clientId: CLIENT_ID, redirectUri: REDIRECT_URI };

function setup(options: Partial<OidcOptions> = {}) {
  const page = stubPage();
  const provider = fakeProvider();
  vi.stubGlobal('fetch', provider.fetch);
  return { page, provider, discover: () => discoverOidc({ ...OPTIONS, ...options }) };
}

/** The query of the authorization request the helper sent the browser to. */
function authorizationQuery(page: ReturnType<typeof stubPage>): Record<string, string> {
  const url = new URL(page.navigations.at(-1)!);
  expect(`${url.origin}${url.pathname}`).toBe(`${ISSUER}/authorize`);
  return Object.fromEntries(url.searchParams);
}

beforeEach(() => vi.useRealTimers());
afterEach(() => vi.unstubAllGlobals());

describe('discoverOidc', () => {
  it('reads the discovery document once and derives a worker config the worker accepts', async () => {
    const { provider, discover } = setup();
    const oidc = await discover();
    expect(provider.discoveryRequests).toBe(1);
    const config = oidc.workerConfig({ apiPaths: ['/v1/'], allowedOrigins: ['https://api.test'] });
    expect(config).toEqual({
      tokenEndpoint: `${ISSUER}/oauth/token`,
      format: 'oauth2',
      clientId: CLIENT_ID,
      loginEndpoint: `${ISSUER}/oauth/token`,
      revocationEndpoint: `${ISSUER}/oauth/revoke`,
      apiPaths: ['/v1/'],
      allowedOrigins: ['https://api.test', ISSUER],
    });
    // The worker's own validation: endpoints on another origin must be allowed.
    expect(() => resolveConfig(config, APP)).not.toThrow();
    expect(() => resolveConfig(oidc.workerConfig(), APP)).not.toThrow();
  });

  it.each([
    ['names another issuer', { issuer: 'https://evil.test' }],
    ['has no token endpoint', { token_endpoint: undefined }],
    ['has a relative authorization endpoint', { authorization_endpoint: '/authorize' }],
  ])('fails with discovery-failed when the document %s', async (_name, change) => {
    const { provider, discover } = setup();
    Object.assign(provider.metadata, change);
    await expect(discover()).rejects.toSatisfy((e) => isTokenBrokerError(e, 'discovery-failed'));
  });

  it('a provider that cannot be reached: the last good document is used, so a logged-in app still starts', async () => {
    const { provider, discover } = setup();
    const first = await discover();
    vi.stubGlobal('fetch', async () => Promise.reject(new TypeError('Failed to fetch')));
    const second = await discover();
    expect(second.metadata).toEqual(first.metadata);
    expect(provider.discoveryRequests).toBe(1);
    // Without a document from an earlier visit, there is nothing to start with.
    localStorage.clear();
    await expect(discover()).rejects.toSatisfy((e) => isTokenBrokerError(e, 'discovery-failed'));
  });

  it('fails with discovery-failed when the provider does not serve the document', async () => {
    const { discover } = setup({ issuer: `${ISSUER}/tenant` });
    await expect(discover()).rejects.toThrow(/answered 404/);
  });
});

describe('login()', () => {
  it('redirects with the code flow, PKCE S256, state and nonce, keeping the secrets in this tab only', async () => {
    const { page, discover } = setup({ authorizationParams: { prompt: 'consent', resource: `${APP}/api/` } });
    const oidc = await discover();
    await oidc.login();
    const query = authorizationQuery(page);
    expect(query).toEqual({
      prompt: 'consent',
      resource: `${APP}/api/`,
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access',
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    // The verifier never leaves the tab; the challenge is its SHA-256 (RFC 7636 §4.2).
    const pending = JSON.parse(page.session.getItem(`sw-token-broker:oidc:pending:${CLIENT_ID}`)!);
    expect(pending).toEqual({
      issuer: ISSUER,
      state: query.state,
      nonce: query.nonce,
      verifier: expect.stringMatching(/^[\w-]{43,128}$/),
      returnTo: `${APP}/inbox?folder=1`,
    });
    expect(createHash('sha256').update(pending.verifier).digest('base64url')).toBe(query.code_challenge);
    expect(page.navigations[0]).not.toContain(pending.verifier);
    // localStorage holds only the discovery document.
    expect(page.local.length).toBe(1);
    expect(page.local.key(0)).toBe(`sw-token-broker:oidc:metadata:${ISSUER}`);
  });

  it('draws a new state, nonce and verifier for every login', async () => {
    const { page, discover } = setup();
    const oidc = await discover();
    await oidc.login();
    await oidc.login();
    const [first, second] = page.navigations.map((u) => Object.fromEntries(new URL(u).searchParams));
    for (const name of ['state', 'nonce', 'code_challenge'])
      expect(first![name], name).not.toBe(second![name]);
  });

  it('lets no app parameter replace the flow, PKCE or state parameters', async () => {
    const { page, discover } = setup({
      authorizationParams: { code_challenge_method: 'plain', state: 'fixed' },
    });
    const oidc = await discover();
    await oidc.login({
      params: { response_type: 'token', redirect_uri: 'https://evil.test/cb', login_hint: 'ada' },
    });
    const query = authorizationQuery(page);
    expect(query).toMatchObject({
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      code_challenge_method: 'S256',
      login_hint: 'ada',
    });
    expect(query.state).not.toBe('fixed');
  });

  it('sends no nonce when the scope does not ask for OpenID Connect', async () => {
    const { page, discover } = setup({ scope: 'offline_access api' });
    await (await discover()).login();
    expect(authorizationQuery(page)).not.toHaveProperty('nonce');
  });

  it('PKCE: the provider accepts the exchange only with the verifier of this login', async () => {
    const { page, provider, discover } = setup();
    const oidc = await discover();
    const worker = workerSide(provider, oidc.workerConfig());
    await oidc.login();
    // Another tab's verifier (or a forged one) in place of this login's.
    const key = `sw-token-broker:oidc:pending:${CLIENT_ID}`;
    const pending = JSON.parse(page.session.getItem(key)!);
    page.session.setItem(key, JSON.stringify({ ...pending, verifier: 'x'.repeat(43) }));
    page.open(provider.authorize(page.navigations[0]!));
    const failure = await oidc.handleCallback(worker.client).catch((e: unknown) => e);
    expect(isTokenBrokerError(failure, 'login-callback-failed')).toBe(true);
    expect((failure as Error).message).toContain('invalid_grant (PKCE verification failed)');
    expect(provider.tokenRequests).toHaveLength(1);
    expect(await worker.broker.status()).toMatchObject({ loggedIn: false });
  });
});
