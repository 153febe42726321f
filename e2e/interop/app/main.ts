// The interop page: registers the standalone worker with the config its server hands out, and
// logs in with the OpenID Connect helper (`sw-token-broker/oidc`: the worker captures the code
// exchange) or a GoTrue password login (the page hands the tokens to the broker). Exposes
// `interop` for the Playwright specs.
import { isTokenBrokerError, registerTokenBroker, type TokenBrokerClient } from '../../../src/index.js';
import { discoverOidc, type OidcLogin } from '../../../src/oidc/index.js';
import { installEventRecorder } from '../../harness/events.js';
import type { CallResult, PageConfig } from '../page-config.js';

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
  // The README's OpenID Connect recipe: discovery, then the worker config it implies.
  const oidc: OidcLogin | undefined = config.oidc && (await discoverOidc(config.oidc.options));
  const worker = oidc ? oidc.workerConfig(config.oidc!.worker) : config.worker;
  const broker = await registerTokenBroker(worker ? { worker } : {});
  Object.assign(globalThis, {
    interop: {
      broker,
      callApi,
      oidcLogin: () => oidc!.login(),
      oidcLogout: () => oidc!.logout(broker),
      gotrueLogin: (email: string, password: string) =>
        gotruePasswordLogin(config.gotrue!, broker, email, password),
    },
  });
  // Recorded from start-up, so the OAuth callback page has its events too.
  installEventRecorder();
  const state = document.getElementById('state')!;
  if (location.pathname === '/callback' && oidc) {
    // `null`: no login pending in this tab (a replayed callback); a typed error names its code.
    document.body.dataset.login = await oidc.handleCallback(broker).then(
      (result) => (result ? `logged in as ${result.claims?.sub}` : 'nothing to do'),
      (e: unknown) => (isTokenBrokerError(e) ? `error: ${e.code}: ${e.message}` : `error: ${String(e)}`),
    );
  }
  state.textContent = 'ready';
  document.body.dataset.ready = 'true';
}

void start().catch((error: unknown) => {
  document.getElementById('state')!.textContent = `startup failed: ${String(error)}`;
  document.body.dataset.ready = 'failed';
});
