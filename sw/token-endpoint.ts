import type { ResolvedConfig } from './settings.js';
import type { TokenFields } from './token-response.js';

// Every format is a set of hooks (sw/formats/), the app's own merged over the preset's
// (sw/settings.ts): these three calls are all a refresh needs to know of the dialect.

/** Builds the refresh request for the configured format (or the app's hook). */
export function buildRefreshRequest(refreshToken: string, config: ResolvedConfig): Request {
  return config.hooks.buildRequest(refreshToken, config);
}

/** Reads a 2xx token response; the result is still validated (token-response.ts). */
export function parseRefreshResponse(response: Response, config: ResolvedConfig): Promise<TokenFields> {
  return config.hooks.parseResponse(response);
}

/** Only these answers end a session; everything else is retried later. */
export function isDefinitiveRejection(status: number, body: unknown, config: ResolvedConfig): boolean {
  return config.hooks.isDefinitiveRejection(status, body);
}
