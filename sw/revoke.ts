import type { ResolvedConfig } from './settings.js';

/**
 * RFC 7009 token revocation of the refresh token. Best effort: the session is already
 * gone locally, and a failure here must not make logout fail.
 */
export async function revokeRefreshToken(
  refreshToken: string,
  config: ResolvedConfig,
  fetchFn: typeof fetch,
): Promise<boolean> {
  if (!config.revocationEndpoint) return false;
  const body = new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' });
  if (config.clientId) body.set('client_id', config.clientId);
  try {
    const response = await fetchFn(config.revocationEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(config.refreshTimeoutMs),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
