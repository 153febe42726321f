import { parseStandardTokenResponse } from '../token-response.js';
import { isInvalidGrant, refreshPost, type TokenEndpointPreset } from './preset.js';

/** `format: 'json'`: `POST {"refresh_token": …}` as JSON, OAuth 2.0 field names in the answer. */
export const json: TokenEndpointPreset = {
  buildRequest: (refreshToken, config) =>
    refreshPost(
      new URL(config.tokenEndpoint),
      'application/json',
      JSON.stringify({ refresh_token: refreshToken }),
    ),
  parseResponse: parseStandardTokenResponse,
  isDefinitiveRejection: isInvalidGrant,
};
