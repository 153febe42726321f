// A backend with its own dialect: the refresh token goes in a header, the answer is wrapped in
// `data`, and a dead session is a 401 with its own codes. Use it in your worker:
// `installTokenBroker(customBackend)`.
import type { TokenBrokerConfig } from 'sw-token-broker/sw';

const DEAD_SESSION = new Set(['REFRESH_TOKEN_REVOKED', 'REFRESH_TOKEN_REUSED', 'SESSION_EXPIRED']);

export const customBackend: TokenBrokerConfig = {
  tokenEndpoint: '/auth/session/refresh',
  apiPaths: ['/api/'],
  buildRequest: (refreshToken, config) =>
    new Request(config.tokenEndpoint, {
      method: 'POST',
      headers: { 'X-Refresh-Token': refreshToken },
      cache: 'no-store',
    }),
  parseResponse: async (response) => {
    const { data } = await response.json();
    return { accessToken: data?.access, refreshToken: data?.refresh, expiresIn: data?.expiresIn };
  },
  // Anything else (a gateway's 401, a 5xx) is retried later and keeps the session.
  isDefinitiveRejection: (status, body) =>
    status === 401 && DEAD_SESSION.has((body as { code?: string } | null)?.code ?? ''),
};
