/**
 * Every failure the broker reports, on either side of the worker boundary, is a
 * `TokenBrokerError` whose identity is one of these stable codes.
 */
export const ERROR_CODES = [
  /** No session is stored: log in first. */
  'no-session',
  /** The token server definitively rejected the refresh token; the session was ended. */
  'refresh-rejected',
  /** A refresh failed for a reason that may pass (network, timeout, 408, 429, 5xx). The session is kept. */
  'refresh-unavailable',
  /** The token server answered 2xx with a body the broker refuses to store. The session is kept. */
  'invalid-token-response',
  /** The tokens handed to `setSession` are unusable (empty, header-unsafe, bad expiry). */
  'invalid-session',
  /** The browser is offline; nothing was attempted. */
  'offline',
  /** The worker did not answer a call in time. */
  'worker-timeout',
  /** No service worker could be reached (unsupported, blocked, or not yet installed). */
  'worker-unavailable',
  /** The worker is configured never to hand the access token to pages. */
  'token-not-revealed',
  /** The worker has no configuration yet (standalone worker before `registerTokenBroker`). */
  'not-configured',
  /** A configuration value is invalid. */
  'invalid-config',
  /** The stored session was deleted, cleared or corrupted outside the broker; the session was ended. */
  'storage-lost',
  /** IndexedDB refused a read or write (quota, blocked, unavailable). */
  'storage-failed',
  /** The login this request belonged to ended (logout, another login) before it could be sent or replayed. */
  'session-changed',
  /** A 401 persisted after a refresh cured nothing: passed through without another refresh. */
  'unauthorized-after-refresh',
  /** Too many 401-triggered refreshes in this session recently: 401s pass through for a while. */
  'refresh-budget-exceeded',
  /**
   * The server's 401, passed on without a replay: the request's body is larger than
   * `maxReplayBodyBytes` (or could not be kept). The token was refreshed: send it again.
   */
  'body-not-replayed',
  /** The client was destroyed. */
  'destroyed',
  /** The worker kept another config than this page's (older or conflicting `configVersion`); the message says why. */
  'config-conflict',
  /**
   * This page's config changed the worker's route scope, but the page keeps the static routes of
   * the version it loaded under until it navigates (Chromium): requests the new scope adds would
   * skip the worker here. Reload the page (an `error` event; nothing failed).
   */
  'reload-required',
  /**
   * The browser refused to register the worker at `scriptUrl` (404, a MIME type other than
   * JavaScript, a scope beyond the script's, a script that throws), or its scope does not cover
   * this page; the message names the script and the browser's reason.
   */
  'registration-failed',
  /** The worker at `scriptUrl` does not answer the broker's protocol (a foreign or incompatible worker). */
  'protocol-mismatch',
  /**
   * A 2xx answer from the login endpoint could not be captured (no usable refresh token, or
   * storage failed). The page got it without refresh-token material (or a 503); nothing was stored.
   */
  'login-not-captured',
  /** `sw-token-broker/oidc`: the provider's discovery document could not be fetched or is unusable. */
  'discovery-failed',
  /** `sw-token-broker/oidc`: the callback's `state` is not the one of the login this tab started; nothing was sent. */
  'state-mismatch',
  /**
   * `sw-token-broker/oidc`: the provider answered the login with an `error` (its fields are the
   * `cause`, its `error` is in the message), named another issuer, or refused the code exchange.
   */
  'login-callback-failed',
  /** `sw-token-broker/oidc`: the ID token fails its checks (`iss`, `aud`, `exp`, `nonce`); the session was ended. */
  'invalid-id-token',
  /**
   * `dpop` is on: the access token is bound to the worker's DPoP key (RFC 9449) and useless
   * without it, so it is not handed to pages. Send the request through the worker instead (a
   * path under `apiPaths`, or an origin in `allowedOrigins`).
   */
  'dpop-bound',
  /** `dpop` is on and the session's DPoP key is missing (storage partly lost, or a session stored without one); the session was ended, nothing was sent. */
  'dpop-key-lost',
  /** Anything else; the message says what. */
  'internal',
] as const;

export type TokenBrokerErrorCode = (typeof ERROR_CODES)[number];

/** The plain shape an error takes on the wire (postMessage, broadcasts, JSON bodies). */
export interface SerializedError {
  code: TokenBrokerErrorCode;
  message: string;
  /** Seconds the caller should wait before trying again, when known. */
  retryAfter?: number;
}

/** The one error type of sw-token-broker. Match on `code`, never on `message`. */
export class TokenBrokerError extends Error {
  override readonly name = 'TokenBrokerError' as const;
  readonly code: TokenBrokerErrorCode;
  readonly retryAfter: number | undefined;

  constructor(
    code: TokenBrokerErrorCode,
    message?: string,
    options?: { cause?: unknown; retryAfter?: number },
  ) {
    // Error installs `cause` only when the options carry one.
    super(message ?? code, options);
    this.code = code;
    this.retryAfter = options?.retryAfter;
  }
}

/** True for a `TokenBrokerError`, also one from another realm (matched by name and code). */
export function isTokenBrokerError(value: unknown, code?: TokenBrokerErrorCode): value is TokenBrokerError {
  // Optional chaining reads a primitive's missing `name` as undefined, so no type checks are needed.
  const v = value as { name?: unknown; code?: unknown } | null | undefined;
  return v?.name === 'TokenBrokerError' && isErrorCode(v.code) && (code === undefined || v.code === code);
}

export function isErrorCode(value: unknown): value is TokenBrokerErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(value);
}

/** Turns anything thrown into a `TokenBrokerError`, keeping the original as `cause`. */
export function toTokenBrokerError(value: unknown): TokenBrokerError {
  if (value instanceof TokenBrokerError) return value;
  if (isTokenBrokerError(value)) {
    return new TokenBrokerError(value.code, value.message, { retryAfter: value.retryAfter, cause: value });
  }
  const message = value instanceof Error ? value.message : String(value);
  return new TokenBrokerError('internal', message, { cause: value });
}

/** The wire shape of an error (postMessage, broadcasts). */
export function serializeError(error: TokenBrokerError): SerializedError {
  const out: SerializedError = { code: error.code, message: error.message };
  if (error.retryAfter !== undefined) out.retryAfter = error.retryAfter;
  return out;
}

/** Rebuilds a typed error from its wire shape; unknown codes become `internal`. */
export function fromSerializedError(value: SerializedError | undefined): TokenBrokerError {
  if (!value || !isErrorCode(value.code))
    return new TokenBrokerError('internal', value?.message ?? 'unknown error');
  // The wire shape carries no `cause`, so only `retryAfter` is taken from it.
  return new TokenBrokerError(value.code, value.message, value);
}
