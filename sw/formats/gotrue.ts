import { parseStandardTokenResponse } from '../token-response.js';
import { isInvalidGrant, refreshPost, rejectionBody, type TokenEndpointPreset } from './preset.js';

// GoTrue answers a dead refresh token with 400 and one of these codes (supabase auth-js).
const DEAD_CODES = new Set([
  'refresh_token_not_found',
  'refresh_token_already_used',
  'session_not_found',
  'session_expired',
]);

/** `format: 'gotrue'` (Supabase Auth): `?grant_type=refresh_token`, a JSON body, the `apiKey` as `apikey` header. */
export const gotrue: TokenEndpointPreset = {
  buildRequest: (refreshToken, config) => {
    const url = new URL(config.tokenEndpoint);
    if (!url.searchParams.has('grant_type')) url.searchParams.set('grant_type', 'refresh_token');
    return refreshPost(
      url,
      'application/json',
      JSON.stringify({ refresh_token: refreshToken }),
      config.apiKey ? { apikey: config.apiKey } : {},
    );
  },
  parseResponse: parseStandardTokenResponse,
  isDefinitiveRejection: (status, body) => {
    if (isInvalidGrant(status, body)) return true;
    // GoTrue's errors are `{code: 400, error_code, msg}`, or `{code: '<error code>', message}` for
    // clients that send `X-Supabase-Api-Version: 2024-01-01` (supabase/auth internal/api/errors.go).
    const b = rejectionBody(status, body);
    const code = typeof b?.error_code === 'string' ? b.error_code : b?.code;
    return typeof code === 'string' && DEAD_CODES.has(code);
  },
};
