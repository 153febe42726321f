import { TokenBrokerError } from '../../shared/errors.js';
import { exchangeCode, providerError, type OidcBroker } from './code-exchange.js';
import { checkIdToken, type IdTokenClaims } from './id-token.js';
import type { ProviderMetadata } from './metadata.js';
import { takePendingLogin } from './pending-login.js';

/** What a handled callback gives the app. */
export interface OidcLoginResult {
  /** The ID token's checked claims (`sub`, and what the scope asked for). Absent without `openid`. */
  claims?: IdTokenClaims;
  /** The ID token itself, for the app's own use. Absent without `openid`. */
  idToken?: string;
  /** The URL `login()` was called from (or its `returnTo`): where the app may send the user now. */
  returnTo: string;
}

export interface CallbackContext {
  metadata: ProviderMetadata;
  clientId: string;
  redirectUri: string;
  scope: string;
  /** Keeps the ID token for `logout()`'s `id_token_hint`. */
  keepIdToken(idToken: string): void;
}

/** Parameters of an authorization response (RFC 6749 §4.1.2, RFC 9207, OIDC Session Management). */
const RESPONSE_PARAMS = ['code', 'state', 'iss', 'session_state', 'error', 'error_description', 'error_uri'];

/** Removes the response from the address bar and history entry, so the code is not left behind. */
function cleanUrl(url: URL): void {
  const clean = new URL(url.href);
  for (const name of RESPONSE_PARAMS) clean.searchParams.delete(name);
  history.replaceState(history.state, '', clean.href);
}

/**
 * Handles the provider's redirect to the redirect URI. Order matters: the URL is cleaned and
 * the pending login consumed before anything can fail, so a failure leaves no code in the
 * address bar and nothing to replay.
 * - No authorization response in the URL: nothing to do (`null`).
 * - No pending login in this tab (a callback replayed from history, or handled already, or one
 *   this tab never asked for): nothing is sent (`null`).
 * - `state` differs from the pending login's: `state-mismatch`, nothing is sent.
 * - `iss` (RFC 9207) names another issuer, or the provider answered `error`:
 *   `login-callback-failed`, the provider's fields as `cause`.
 * - The code exchange failed or the worker did not keep its tokens: its typed error.
 * - The ID token fails its checks: the worker's session is ended, then `invalid-id-token`.
 */
export async function handleCallback(
  context: CallbackContext,
  broker: OidcBroker,
  href: string,
): Promise<OidcLoginResult | null> {
  const url = new URL(href);
  const params = url.searchParams;
  if (!params.has('code') && !params.has('error') && !params.has('state')) return null;
  cleanUrl(url);
  const { metadata, clientId } = context;
  const pending = takePendingLogin(clientId);
  if (!pending) return null;
  if (params.get('state') !== pending.state || pending.issuer !== metadata.issuer)
    throw new TokenBrokerError('state-mismatch', 'the callback does not answer the login this tab started');
  const iss = params.get('iss');
  if ((iss !== null || metadata.authorization_response_iss_parameter_supported) && iss !== metadata.issuer)
    throw new TokenBrokerError(
      'login-callback-failed',
      `the authorization response comes from ${iss}, not the issuer`,
    );
  if (params.has('error')) throw providerError(Object.fromEntries(params), 'the provider refused the login');
  const code = params.get('code');
  if (!code) throw new TokenBrokerError('login-callback-failed', 'the authorization response has no code');

  const answer = await exchangeCode(broker, {
    tokenEndpoint: metadata.token_endpoint,
    clientId,
    redirectUri: context.redirectUri,
    code,
    verifier: pending.verifier,
  });
  if (!context.scope.split(/\s+/).includes('openid')) return { returnTo: pending.returnTo };
  let claims: IdTokenClaims;
  try {
    claims = checkIdToken(answer.id_token, {
      issuer: metadata.issuer,
      clientId,
      nonce: pending.nonce,
      now: Date.now() / 1000,
    });
  } catch (error) {
    // The worker already keeps this login's tokens: a login that fails its checks must not stay.
    await broker.logout().catch(() => undefined);
    throw error;
  }
  const idToken = answer.id_token as string;
  context.keepIdToken(idToken);
  return { claims, idToken, returnTo: pending.returnTo };
}
