import type { ResolvedConfig } from './settings.js';
import { parseStandardTokenResponse, type TokenFields } from './token-response.js';

// GoTrue answers a dead refresh token with 400 and one of these codes (supabase auth-js).
const GOTRUE_DEAD_CODES = new Set([
  'refresh_token_not_found',
  'refresh_token_already_used',
  'session_not_found',
  'session_expired',
]);

/** Builds the refresh request for the configured dialect (or the app's hook). */
export function buildRefreshRequest(refreshToken: string, config: ResolvedConfig): Request {
  if (config.hooks.buildRequest) return config.hooks.buildRequest(refreshToken, config);
  const url = new URL(config.tokenEndpoint);
  const headers = new Headers({ Accept: 'application/json' });
  let body: string;
  if (config.format === 'oauth2') {
    // RFC 6749 §6: form-encoded refresh_token grant.
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (config.clientId) form.set('client_id', config.clientId);
    if (config.scope) form.set('scope', config.scope);
    headers.set('Content-Type', 'application/x-www-form-urlencoded');
    body = form.toString();
  } else {
    if (config.format === 'gotrue') {
      if (!url.searchParams.has('grant_type')) url.searchParams.set('grant_type', 'refresh_token');
      if (config.apiKey) headers.set('apikey', config.apiKey);
    }
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify({ refresh_token: refreshToken });
  }
  return new Request(url, { method: 'POST', headers, body, credentials: 'same-origin', cache: 'no-store' });
}

export function parseRefreshResponse(response: Response, config: ResolvedConfig): Promise<TokenFields> {
  return (config.hooks.parseResponse ?? parseStandardTokenResponse)(response);
}

/** Only these answers end a session; everything else is retried later. */
export function isDefinitiveRejection(status: number, body: unknown, config: ResolvedConfig): boolean {
  if (config.hooks.isDefinitiveRejection) return config.hooks.isDefinitiveRejection(status, body);
  if (status !== 400 && status !== 401) return false;
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (b.error === 'invalid_grant') return true;
  // GoTrue's errors are `{code: 400, error_code, msg}`, or `{code: '<error code>', message}` for
  // clients that send `X-Supabase-Api-Version: 2024-01-01` (supabase/auth internal/api/errors.go).
  const code = typeof b.error_code === 'string' ? b.error_code : b.code;
  return config.format === 'gotrue' && typeof code === 'string' && GOTRUE_DEAD_CODES.has(code);
}
