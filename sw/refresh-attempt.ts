import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import { parseRetryAfter } from './backoff.js';
import type { ResolvedConfig } from './settings.js';
import { buildRefreshRequest, isDefinitiveRejection, parseRefreshResponse } from './token-endpoint.js';
import { parseJson, readCappedText, validateTokens, type ValidTokens } from './token-response.js';

/** What one call to the token endpoint came to. */
export type AttemptOutcome =
  | { kind: 'ok'; tokens: ValidTokens; receivedAt: number; serverDate: number | undefined }
  /** The server definitively refused the refresh token. */
  | { kind: 'rejected'; status: number }
  /** May pass: network, timeout, 408, 429, 5xx, unexpected status. */
  | { kind: 'transient'; error: TokenBrokerError; retryAfterMs: number | undefined }
  /** 2xx with a body we refuse to store. */
  | { kind: 'invalid'; error: TokenBrokerError };

export interface AttemptDeps {
  fetch: typeof fetch;
  now: () => number;
}

/** Sends one refresh request with a per-attempt timeout covering headers and body. */
export async function attemptRefresh(refreshToken: string, config: ResolvedConfig, deps: AttemptDeps): Promise<AttemptOutcome> {
  const signal = AbortSignal.timeout(config.refreshTimeoutMs);
  let response: Response;
  try {
    response = await deps.fetch(new Request(buildRefreshRequest(refreshToken, config), { signal }));
  } catch (cause) {
    const timedOut = signal.aborted;
    return {
      kind: 'transient',
      error: new TokenBrokerError('refresh-unavailable', timedOut ? 'refresh timed out' : 'network error during refresh', { cause }),
      retryAfterMs: undefined,
    };
  }
  const receivedAt = deps.now();
  try {
    if (response.ok) {
      const tokens = validateTokens(await parseRefreshResponse(response, config));
      const date = Date.parse(response.headers.get('date') ?? '');
      return { kind: 'ok', tokens, receivedAt, serverDate: Number.isNaN(date) ? undefined : date };
    }
    const body = parseJson(await readCappedText(response).catch(() => ''));
    if (isDefinitiveRejection(response.status, body, config)) return { kind: 'rejected', status: response.status };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), receivedAt);
    const error = new TokenBrokerError('refresh-unavailable', `token endpoint answered ${response.status}`, {
      ...(retryAfterMs === undefined ? {} : { retryAfter: retryAfterMs / 1000 }),
    });
    return { kind: 'transient', error, retryAfterMs };
  } catch (cause) {
    if (signal.aborted) {
      return { kind: 'transient', error: new TokenBrokerError('refresh-unavailable', 'refresh timed out', { cause }), retryAfterMs: undefined };
    }
    const error = toTokenBrokerError(cause);
    return error.code === 'internal'
      ? { kind: 'invalid', error: new TokenBrokerError('invalid-token-response', error.message, { cause }) }
      : { kind: 'invalid', error };
  }
}
