import { parseStandardTokenResponse } from '../token-response.js';
import { isInvalidGrant, refreshPost, type TokenEndpointPreset } from './preset.js';

/** `format: 'oauth2'`: the RFC 6749 §6 form-encoded `refresh_token` grant, with `clientId` and `scope` when set. */
export const oauth2: TokenEndpointPreset = {
  buildRequest: (refreshToken, config) => {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (config.clientId) form.set('client_id', config.clientId);
    if (config.scope) form.set('scope', config.scope);
    return refreshPost(new URL(config.tokenEndpoint), 'application/x-www-form-urlencoded', form.toString());
  },
  parseResponse: parseStandardTokenResponse,
  isDefinitiveRejection: isInvalidGrant,
};
