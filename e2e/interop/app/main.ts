// The interop page: registers the standalone worker with the config its server hands out,
// runs the authorization code + PKCE flow (or a GoTrue password login) and hands the tokens
// to the broker. Exposes `interop` for the Playwright specs.
import { registerTokenBroker, type TokenBrokerClient } from '../../../src/index.js';
import { installEventRecorder } from '../../harness/events.js';
import type { CallResult, PageConfig } from '../page-config.js';

const FLOW_KEY = 'interop-oauth-flow';

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function randomString(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Sends the browser to the provider's authorization endpoint (RFC 7636 S256 challenge). */
async function startOAuthLogin(oauth: NonNullable<PageConfig['oauth']>): Promise<void> {
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(oauth.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oauth.clientId,
    redirect_uri: oauth.redirectUri,
    scope: oauth.scope,
    resource: oauth.resource,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    // offline_access (a refresh token) is granted only with an explicit consent prompt.
    prompt: 'consent',
  }).toString();
  location.assign(url.href);
}

/** On `/callback`: checks `state`, exchanges the code, and hands the tokens to the broker. */
async function finishOAuthLogin(
  oauth: NonNullable<PageConfig['oauth']>,
  broker: TokenBrokerClient,
): Promise<string> {
  const params = new URLSearchParams(location.search);
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) ?? 'null') as {
    verifier: string;
    state: string;
  } | null;
  sessionStorage.removeItem(FLOW_KEY);
  if (params.has('error')) return `error: ${params.get('error')}`;
  if (!flow || params.get('state') !== flow.state) return 'error: state mismatch';
  const response = await fetch(oauth.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: oauth.redirectUri,
      client_id: oauth.clientId,
      code_verifier: flow.verifier,
    }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) return `error: ${String(body.error)}`;
  if (oauth.handOver === 'setSession') {
    await broker.setSession({
      accessToken: String(body.access_token),
      refreshToken: String(body.refresh_token),
      expiresIn: Number(body.expires_in),
    });
  } else if ('refresh_token' in body) {
    return 'error: the worker did not capture the code exchange';
  }
  history.replaceState(null, '', '/');
  return 'logged in';
}

/** GoTrue password grant; the page hands the answer to the broker. */
async function gotruePasswordLogin(
  gotrue: NonNullable<PageConfig['gotrue']>,
  broker: TokenBrokerClient,
  email: string,
  password: string,
): Promise<string> {
  const response = await fetch(`${gotrue.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: gotrue.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) return `error: ${String(body.error_code ?? response.status)}`;
  await broker.setSession({
    accessToken: String(body.access_token),
    refreshToken: String(body.refresh_token),
    expiresIn: Number(body.expires_in),
  });
  return 'logged in';
}

async function callApi(url: string, headers: Record<string, string> = {}): Promise<CallResult> {
  try {
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    return { status: response.status };
  } catch (error) {
    return { status: 0, error: String((error as Error)?.message ?? error) };
  }
}

async function start(): Promise<void> {
  const config = (await (await fetch('/interop-config.json')).json()) as PageConfig;
  const broker = await registerTokenBroker({ worker: config.worker });
  Object.assign(globalThis, {
    interop: {
      broker,
      callApi,
      startOAuthLogin: () => startOAuthLogin(config.oauth!),
      gotrueLogin: (email: string, password: string) =>
        gotruePasswordLogin(config.gotrue!, broker, email, password),
    },
  });
  // Recorded from start-up, so the OAuth callback page has its events too.
  installEventRecorder();
  const state = document.getElementById('state')!;
  if (location.pathname === '/callback' && config.oauth) {
    document.body.dataset.login = await finishOAuthLogin(config.oauth, broker).catch(
      (e: unknown) => `error: ${String(e)}`,
    );
  }
  state.textContent = 'ready';
  document.body.dataset.ready = 'true';
}

void start().catch((error: unknown) => {
  document.getElementById('state')!.textContent = `startup failed: ${String(error)}`;
  document.body.dataset.ready = 'failed';
});
