import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import { ERROR_HEADER } from '../shared/protocol.js';
import { errorResponse } from './error-response.js';
import type { Broker } from './broker.js';
import { readBodyUpTo } from './bounded-body.js';
import { sendLogin } from './dpop-headers.js';
import { generateDpopKey } from './dpop-proof.js';
import { parseJson, validateTokens } from './token-response.js';

/** A login answer larger than this cannot be inspected, so a 2xx one is not passed on. */
export const MAX_LOGIN_RESPONSE_BYTES = 1024 * 1024;

const REFRESH_KEY = 'refresh_token';

/** `value` with every `refresh_token` key removed, at any depth; `found` says whether one was. */
function stripRefreshTokens(value: unknown): { value: unknown; found: boolean } {
  if (Array.isArray(value)) {
    const items = value.map(stripRefreshTokens);
    return { value: items.map((i) => i.value), found: items.some((i) => i.found) };
  }
  if (typeof value !== 'object' || value === null) return { value, found: false };
  let found = false;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === REFRESH_KEY) {
      found = true;
      continue;
    }
    const inner = stripRefreshTokens(item);
    found ||= inner.found;
    out[key] = inner.value;
  }
  return { value: out, found };
}

/** The server's answer with `body` as its JSON, plus the error marker when given. */
function rewrite(response: Response, body: unknown, marker?: TokenBrokerError): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  if (marker) headers.set(ERROR_HEADER, marker.code);
  return new Response(JSON.stringify(body), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

/** Fail closed: capture cannot be guaranteed, so the page gets an error and none of the body. */
const refuse = (error: TokenBrokerError, status = 503): Response =>
  errorResponse(status, error.code, error.message);

/**
 * Login capture: the worker stores the tokens from the login answer itself and hands the page
 * the answer without refresh-token material, so the refresh token never reaches page JS.
 * Every answer has a defined outcome:
 * - non-2xx: passed on; a JSON body loses any `refresh_token` key; a body too large to inspect
 *   is replaced by a JSON error with the server's status;
 * - 2xx whose tokens are stored: the JSON without `refresh_token` (at any depth);
 * - 2xx that is not JSON and does not mention `refresh_token`: passed on as sent, with the
 *   `login-not-captured` header and an `error` event;
 * - 2xx whose tokens are unusable (`refresh_token` missing, null, empty, not a string; a bad
 *   access token): the same stripped answer with the server's status, header
 *   `x-token-broker-error: login-not-captured`, and an `error` event in every tab;
 * - 2xx the worker cannot inspect or store (too large, not JSON yet mentioning `refresh_token`,
 *   storage failure): `503` with that header and a JSON error, never the server's body (a
 *   non-2xx non-JSON answer mentioning `refresh_token` keeps its status, not its body).
 * A `expires_in` the broker refuses is dropped (expiry then comes from the JWT): the refresh
 * token the server issued is kept.
 *
 * With `dpop` on, the login's DPoP key is made before the request goes out and the request
 * carries its proof, so the server binds the tokens it issues to that key (RFC 9449 §5).
 */
export async function captureLogin(
  broker: Broker,
  request: Request,
  fetchFn: typeof fetch,
): Promise<Response> {
  const key = broker.currentConfig()?.dpop ? await generateDpopKey() : undefined;
  const response = key
    ? await sendLogin(fetchFn, request, { key, nonces: broker.state.dpopNonces })
    : await fetchFn(request);
  const notCaptured = (why: string, cause?: unknown): TokenBrokerError => {
    const error = new TokenBrokerError(
      'login-not-captured',
      `the login answer was not captured: ${why}`,
      cause === undefined ? undefined : { cause },
    );
    broker.reportError(error);
    return error;
  };
  const bytes = await readBodyUpTo(response, MAX_LOGIN_RESPONSE_BYTES);
  if (bytes === null) {
    const why = `the answer is larger than ${MAX_LOGIN_RESPONSE_BYTES} bytes`;
    // A failed login stores nothing, so the app hears no error; it still never gets a body the
    // worker could not inspect, since that body may carry a refresh token.
    if (!response.ok)
      return refuse(
        new TokenBrokerError('login-not-captured', `the login failed and ${why}`),
        response.status,
      );
    return refuse(notCaptured(why));
  }
  const text = new TextDecoder().decode(bytes);
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null) {
    // Form-encoded token answers exist (e.g. `refresh_token=…`): unreadable here, so not passed on.
    if (text.includes(REFRESH_KEY))
      return refuse(
        notCaptured('the answer mentions a refresh token but is not a JSON object'),
        response.ok ? 503 : response.status,
      );
    return passOn(response, bytes, response.ok ? notCaptured('the answer is not a JSON object') : undefined);
  }
  const stripped = stripRefreshTokens(body).value;
  if (!response.ok) return rewrite(response, stripped);

  const fields = body as Record<string, unknown>;
  let expiresIn: unknown = fields.expires_in;
  try {
    // The same expires_in rule as every token answer; the access token is judged by setSession.
    validateTokens({ accessToken: 'x', expiresIn });
  } catch {
    broker.reportError(
      new TokenBrokerError(
        'invalid-token-response',
        'the login answer has an unusable expires_in; expiry is taken from the access token',
      ),
    );
    expiresIn = undefined;
  }
  try {
    await broker.setSession(
      {
        accessToken: fields.access_token as string,
        refreshToken: fields[REFRESH_KEY] as string,
        ...(expiresIn === undefined || expiresIn === null ? {} : { expiresIn: expiresIn as number }),
      },
      key,
    );
  } catch (cause) {
    const error = toTokenBrokerError(cause);
    // The server's tokens are unusable: its answer, minus refresh-token material, plus the marker.
    if (error.code === 'invalid-session')
      return rewrite(response, stripped, notCaptured(error.message, error));
    // Our side failed (storage): the tokens may be good, so the body must not go on.
    return refuse(notCaptured(error.message, error));
  }
  return rewrite(response, stripped);
}

/** The server's answer with its own bytes, plus the marker when given. */
function passOn(response: Response, bytes: Uint8Array<ArrayBuffer>, marker?: TokenBrokerError): Response {
  const headers = new Headers(response.headers);
  if (marker) headers.set(ERROR_HEADER, marker.code);
  const empty = response.status === 204 || response.status === 205 || response.status === 304;
  return new Response(empty ? null : bytes, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
