import { toTokenBrokerError } from '../shared/errors.js';
import { ERROR_HEADER } from '../shared/protocol.js';
import type { Broker } from './broker.js';
import { parseJson } from './token-response.js';

/**
 * Login capture: the worker stores the tokens from the login response itself and hands
 * the page the same JSON without `refresh_token`, so the refresh token never reaches page JS.
 */
export async function captureLogin(broker: Broker, request: Request, fetchFn: typeof fetch): Promise<Response> {
  const response = await fetchFn(request);
  if (!response.ok) return response;
  const body = parseJson(await response.clone().text());
  if (typeof body !== 'object' || body === null || !('refresh_token' in body)) return response;
  const { refresh_token: refreshToken, ...rest } = body as Record<string, unknown>;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  try {
    await broker.setSession({
      accessToken: rest.access_token as string,
      refreshToken: refreshToken as string,
      // validateTokens accepts numbers and numeric strings, and rejects the rest.
      ...(rest.expires_in === undefined ? {} : { expiresIn: rest.expires_in as number }),
    });
  } catch (error) {
    const e = toTokenBrokerError(error);
    headers.set(ERROR_HEADER, e.code);
    return new Response(JSON.stringify({ error: e.code, message: e.message }), { status: 502, headers });
  }
  return new Response(JSON.stringify(rest), { status: response.status, statusText: response.statusText, headers });
}
