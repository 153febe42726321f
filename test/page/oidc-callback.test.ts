import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTokenBrokerError, type TokenBrokerErrorCode } from '../../shared/errors.js';
import { discoverOidc, type OidcOptions } from '../../src/oidc/index.js';
import { APP, CLIENT_ID, fakeProvider, ISSUER, REDIRECT_URI, stubPage, workerSide } from './oidc-harness.js';

const ID_TOKEN_KEY = `sw-token-broker:oidc:id-token:${CLIENT_ID}`;

/** A page, a provider and the worker, with the helper discovered and one login redirected. */
async function loginStarted(
  options: Partial<OidcOptions> = {},
  provider = fakeProvider(),
  { capture = true } = {},
) {
  const page = stubPage();
  vi.stubGlobal('fetch', provider.fetch);
  const oidc = await discoverOidc({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: `${APP}/bye`,
    ...options,
  });
  const worker = workerSide(provider, oidc.workerConfig(), { capture });
  await oidc.login();
  return { page, provider, oidc, worker, authorizationUrl: page.navigations[0]! };
}

async function failure(promise: Promise<unknown>, code: TokenBrokerErrorCode): Promise<Error> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e as Error,
  );
  expect(isTokenBrokerError(error, code), `${error}`).toBe(true);
  return error;
}

afterEach(() => vi.unstubAllGlobals());

describe('handleCallback', () => {
  it('exchanges the code through the worker: the worker keeps the refresh token, the page gets the checked ID token', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    page.open(provider.authorize(authorizationUrl));
    const result = await oidc.handleCallback(worker.client);

    expect(result).toEqual({
      claims: expect.objectContaining({ iss: ISSUER, sub: 'user-1', aud: CLIENT_ID }),
      idToken: expect.any(String),
      returnTo: `${APP}/inbox?folder=1`,
    });
    expect(JSON.stringify(result)).not.toContain('rt-1');
    // What the provider received: one exchange, with the verifier it checked against the challenge.
    expect(provider.tokenRequests).toEqual([
      {
        grant_type: 'authorization_code',
        code: 'code-1',
        redirect_uri: REDIRECT_URI,
        client_id: CLIENT_ID,
        code_verifier: expect.stringMatching(/^[\w-]{43}$/),
      },
    ]);
    expect(await worker.broker.status()).toMatchObject({ loggedIn: true });
    // The answer leaves the address bar; the pending login is spent; the ID token is kept for logout.
    expect(page.url.href).toBe(REDIRECT_URI);
    expect(page.session.length).toBe(0);
    expect(page.local.getItem(ID_TOKEN_KEY)).toBe(result!.idToken);
  });

  it('a callback replayed from history (or handled twice) sends nothing and changes nothing', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    const callback = provider.authorize(authorizationUrl);
    page.open(callback);
    await oidc.handleCallback(worker.client);
    const before = await worker.broker.getAccessToken();

    page.open(callback); // the back button, or a bookmarked callback URL
    expect(await oidc.handleCallback(worker.client)).toBeNull();
    expect(page.url.href).toBe(REDIRECT_URI);
    expect(provider.tokenRequests).toHaveLength(1);
    // The same login, the same tokens: no second session, no logout.
    const after = await worker.broker.getAccessToken();
    expect([after.session, after.generation, after.accessToken]).toEqual([
      before.session,
      before.generation,
      before.accessToken,
    ]);
    expect(worker.logouts).toEqual([]);
  });

  it('two handlers of one callback at once (a double mount): one exchange', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    page.open(provider.authorize(authorizationUrl));
    const href = page.url.href;
    const results = await Promise.all([
      oidc.handleCallback(worker.client, href),
      oidc.handleCallback(worker.client, href),
    ]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(provider.tokenRequests).toHaveLength(1);
  });

  it('a page without an authorization response in its URL: nothing to do, the pending login stays', async () => {
    const { page, oidc, worker } = await loginStarted();
    page.open(`${REDIRECT_URI}?tab=2`);
    expect(await oidc.handleCallback(worker.client)).toBeNull();
    expect(page.url.href).toBe(`${REDIRECT_URI}?tab=2`);
    expect(page.session.length).toBe(1);
  });

  it('a state that is not this tab’s login: state-mismatch, nothing sent, the code leaves the URL', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    const forged = new URL(provider.authorize(authorizationUrl));
    forged.searchParams.set('state', 'attacker-state');
    page.open(forged.href);
    await failure(oidc.handleCallback(worker.client), 'state-mismatch');
    expect(provider.tokenRequests).toEqual([]);
    expect(page.url.href).toBe(REDIRECT_URI);
    // Spent: the real callback arriving later finds no pending login and sends nothing either.
    page.open(provider.authorize(authorizationUrl));
    expect(await oidc.handleCallback(worker.client)).toBeNull();
    expect(provider.tokenRequests).toEqual([]);
  });

  it('a callback this tab never asked for (login CSRF): nothing sent', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    const callback = provider.authorize(authorizationUrl);
    page.session.clear(); // another tab, or a link sent to the user
    page.open(callback);
    expect(await oidc.handleCallback(worker.client)).toBeNull();
    expect(provider.tokenRequests).toEqual([]);
    expect(await worker.broker.status()).toMatchObject({ loggedIn: false });
  });

  it('an error redirect becomes login-callback-failed naming the provider’s error, with its fields as cause', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    page.open(
      provider.authorize(authorizationUrl, {
        error: 'access_denied',
        error_description: 'The user said no',
      }),
    );
    const error = await failure(oidc.handleCallback(worker.client), 'login-callback-failed');
    expect(error.message).toBe('the provider refused the login: access_denied (The user said no)');
    expect(error.cause).toEqual({ error: 'access_denied', error_description: 'The user said no' });
    expect(provider.tokenRequests).toEqual([]);
    expect(page.url.href).toBe(REDIRECT_URI);
  });

  it('an authorization response from another issuer (RFC 9207 iss) is refused before the exchange', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    const mixedUp = new URL(provider.authorize(authorizationUrl));
    mixedUp.searchParams.set('iss', 'https://other-idp.test');
    page.open(mixedUp.href);
    const error = await failure(oidc.handleCallback(worker.client), 'login-callback-failed');
    expect(error.message).toContain('https://other-idp.test');
    expect(provider.tokenRequests).toEqual([]);
  });

  it('a refused code exchange becomes login-callback-failed naming invalid_grant; nothing is stored', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted();
    const callback = provider.authorize(authorizationUrl);
    await provider.fetch(`${ISSUER}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'code-1' }),
    }); // someone spent the code first
    page.open(callback);
    const error = await failure(oidc.handleCallback(worker.client), 'login-callback-failed');
    expect(error.message).toContain('invalid_grant');
    expect(await worker.broker.status()).toMatchObject({ loggedIn: false });
  });

  const tampered: Array<[string, (claims: Record<string, unknown>) => Record<string, unknown>]> = [
    ['another nonce (a replayed ID token)', (c) => ({ ...c, nonce: 'old-nonce' })],
    ['no nonce', ({ nonce: _nonce, ...c }) => c],
    ['another issuer', (c) => ({ ...c, iss: 'https://evil.test' })],
    ['another audience', (c) => ({ ...c, aud: 'other-client' })],
    ['several audiences without azp', (c) => ({ ...c, aud: [CLIENT_ID, 'other-client'] })],
    ['an exp long past', (c) => ({ ...c, exp: Math.floor(Date.now() / 1000) - 3600 })],
  ];
  it.each(tampered)(
    'an ID token with %s: invalid-id-token, and the session the worker captured is ended and revoked',
    async (_name, tamper) => {
      const provider = fakeProvider();
      provider.idTokenClaims = tamper;
      const { page, oidc, worker, authorizationUrl } = await loginStarted({}, provider);
      page.open(provider.authorize(authorizationUrl));
      await failure(oidc.handleCallback(worker.client), 'invalid-id-token');
      expect(await worker.broker.status()).toMatchObject({ loggedIn: false });
      expect(provider.revoked).toEqual(['rt-1']);
      expect(page.local.getItem(ID_TOKEN_KEY)).toBeNull();
    },
  );

  it('accepts several audiences when azp names this client', async () => {
    const provider = fakeProvider();
    provider.idTokenClaims = (c) => ({ ...c, aud: [CLIENT_ID, 'api'], azp: CLIENT_ID });
    const { page, oidc, worker, authorizationUrl } = await loginStarted({}, provider);
    page.open(provider.authorize(authorizationUrl));
    expect(await oidc.handleCallback(worker.client)).not.toBeNull();
  });

  it('without a worker capturing the exchange the page would see the refresh token: login-not-captured', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted({}, fakeProvider(), {
      capture: false,
    });
    page.open(provider.authorize(authorizationUrl));
    await failure(oidc.handleCallback(worker.client), 'login-not-captured');
  });

  it('an answer without a refresh token (no offline_access) is not captured: login-not-captured', async () => {
    const provider = fakeProvider();
    provider.omitRefreshToken = true;
    const { page, oidc, worker, authorizationUrl } = await loginStarted({}, provider);
    page.open(provider.authorize(authorizationUrl));
    await failure(oidc.handleCallback(worker.client), 'login-not-captured');
    expect(await worker.broker.status()).toMatchObject({ loggedIn: false });
  });

  it('without openid in the scope there is no ID token to check', async () => {
    const { page, provider, oidc, worker, authorizationUrl } = await loginStarted({
      scope: 'offline_access',
    });
    page.open(provider.authorize(authorizationUrl));
    expect(await oidc.handleCallback(worker.client)).toEqual({ returnTo: `${APP}/inbox?folder=1` });
    expect(await worker.broker.status()).toMatchObject({ loggedIn: true });
  });
});

describe('logout', () => {
  async function loggedIn(provider = fakeProvider()) {
    const started = await loginStarted({}, provider);
    started.page.open(provider.authorize(started.authorizationUrl));
    const result = await started.oidc.handleCallback(started.worker.client);
    return { ...started, idToken: result!.idToken! };
  }

  it('the worker revokes the refresh token first, then the browser goes to end_session with id_token_hint', async () => {
    const { page, provider, oidc, worker, idToken } = await loggedIn();
    await oidc.logout(worker.client);
    expect(provider.revoked).toEqual(['rt-1']);
    expect(await worker.broker.status()).toMatchObject({ loggedIn: false });
    const endSession = new URL(page.navigations.at(-1)!);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`${ISSUER}/logout`);
    expect(Object.fromEntries(endSession.searchParams)).toEqual({
      client_id: CLIENT_ID,
      id_token_hint: idToken,
      post_logout_redirect_uri: `${APP}/bye`,
    });
    expect(page.local.getItem(ID_TOKEN_KEY)).toBeNull();
  });

  it('a provider without end_session_endpoint: the worker logs out and the page stays', async () => {
    const { page, provider, oidc, worker } = await loggedIn(fakeProvider({ endSession: false }));
    const navigations = page.navigations.length;
    await oidc.logout(worker.client);
    expect(provider.revoked).toEqual(['rt-1']);
    expect(page.navigations).toHaveLength(navigations);
  });

  it('a worker logout that fails leaves the page here with the error (the provider session is not ended behind the app’s back)', async () => {
    const { page, oidc, worker } = await loggedIn();
    const navigations = page.navigations.length;
    const broken = { ...worker.client, logout: () => Promise.reject(new Error('worker gone')) };
    await expect(oidc.logout(broken)).rejects.toThrow('worker gone');
    expect(page.navigations).toHaveLength(navigations);
    expect(page.local.getItem(ID_TOKEN_KEY)).not.toBeNull();
  });
});
