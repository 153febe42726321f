import { TokenBrokerError } from '../../shared/errors.js';
import { ERROR_HEADER } from '../../shared/protocol.js';
import type { TokenBrokerClient } from '../client.js';

/** The parts of the page client the helper uses. */
export type OidcBroker = Pick<TokenBrokerClient, 'fetch' | 'logout'>;

/** One code exchange: the code, the verifier that proves this tab asked for it, and the client. */
export interface CodeExchange {
  tokenEndpoint: string;
  clientId: string;
  redirectUri: string;
  code: string;
  verifier: string;
}

/** An OAuth error answer's fields (RFC 6749 §4.1.2.1, §5.2), kept as the typed error's `cause`. */
export interface ProviderError {
  error: string;
  error_description?: string;
  error_uri?: string;
}

/** `login-callback-failed` naming the provider's `error` (and its description) in the message. */
export function providerError(fields: Record<string, unknown>, where: string): TokenBrokerError {
  const cause: ProviderError = { error: typeof fields.error === 'string' ? fields.error : 'unknown_error' };
  if (typeof fields.error_description === 'string') cause.error_description = fields.error_description;
  if (typeof fields.error_uri === 'string') cause.error_uri = fields.error_uri;
  const detail = cause.error_description ? ` (${cause.error_description})` : '';
  return new TokenBrokerError('login-callback-failed', `${where}: ${cause.error}${detail}`, { cause });
}

/**
 * Exchanges the authorization code (RFC 6749 §4.1.3, RFC 7636 §4.5) through the broker's
 * `fetch`. With `loginEndpoint` set to the token endpoint, the worker sends it and keeps the
 * refresh token: on a controlled page the worker sees the plain `fetch`; on one it does not
 * control, `broker.fetch` hands the request to the worker's login capture. The page gets the
 * answer without `refresh_token`.
 *
 * DPoP seam (RFC 9449): this request leaves from the worker, which is where a DPoP proof for it
 * belongs (the worker holds the key as it holds the refresh token); the page's request stays
 * this form. An authorization request bound to the key (`dpop_jkt`, RFC 9449 §10) can be
 * passed in `authorizationParams`.
 */
export async function exchangeCode(
  broker: OidcBroker,
  exchange: CodeExchange,
): Promise<Record<string, unknown>> {
  const response = await broker.fetch(exchange.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: exchange.code,
      redirect_uri: exchange.redirectUri,
      client_id: exchange.clientId,
      code_verifier: exchange.verifier,
    }),
  });
  const marker = response.headers.get(ERROR_HEADER);
  if (marker !== null) {
    await response.body?.cancel();
    // The worker marks an answer it did not store (sw/login-capture.ts): usually no refresh
    // token in it, for want of `offline_access` in the scope.
    throw new TokenBrokerError(
      'login-not-captured',
      `the worker did not store the tokens of the code exchange (${marker}); does the scope ask for a refresh token?`,
    );
  }
  const body: unknown = await response.json().catch(() => null);
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (!response.ok) throw providerError(fields, `the token endpoint answered ${response.status}`);
  // The worker strips the refresh token from what it captured: seeing one means it did not
  // capture this answer (no worker, or `loginEndpoint` is not the token endpoint). It is dropped.
  if ('refresh_token' in fields)
    throw new TokenBrokerError(
      'login-not-captured',
      'the code exchange reached the page with its refresh token: set loginEndpoint to the token endpoint',
    );
  return fields;
}
