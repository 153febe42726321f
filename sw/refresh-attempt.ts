import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import { parseRetryAfter } from './backoff.js';
import { sendToTokenEndpoint, type DpopSigner } from './dpop-headers.js';
import type { ResolvedConfig } from './settings.js';
import { buildRefreshRequest, isDefinitiveRejection, parseRefreshResponse } from './token-endpoint.js';
import { parseJson, readCappedText, salvageTokens, type SalvagedTokens } from './token-response.js';

/** What one call to the token endpoint came to. */
export type AttemptOutcome =
  /** Usable tokens; `flaw` says what was wrong with an answer whose rotated refresh token was kept. */
  | {
      kind: 'ok';
      tokens: SalvagedTokens;
      receivedAt: number;
      serverDate: number | undefined;
      flaw?: TokenBrokerError;
    }
  /** The server definitively refused the refresh token. */
  | { kind: 'rejected'; status: number }
  /** May pass: network, lost answer, 408, 429, 5xx, unexpected status. `unreachable`: no response at all. */
  | { kind: 'transient'; error: TokenBrokerError; retryAfterMs: number | undefined; unreachable?: boolean }
  /** 2xx with a body we refuse to store and no refresh token to keep. */
  | { kind: 'invalid'; error: TokenBrokerError };

export interface AttemptDeps {
  fetch: typeof fetch;
  now: () => number;
  /**
   * How long the request may take before its answer counts as lost. Callers stop waiting much
   * earlier (`refreshTimeoutSeconds`); the request runs on, because resending its refresh token
   * while the server may still be working on it would look like token reuse.
   */
  hardCapMs: number;
  /** The session's DPoP key and the nonces (`dpop` on): every refresh request carries a proof. */
  dpop?: DpopSigner;
}

/** Sends one refresh request; only the hard cap aborts it. */
export async function attemptRefresh(
  refreshToken: string,
  config: ResolvedConfig,
  deps: AttemptDeps,
): Promise<AttemptOutcome> {
  const signal = AbortSignal.timeout(deps.hardCapMs);
  const build = (): Request => new Request(buildRefreshRequest(refreshToken, config), { signal });
  const request = build();
  // Errors name the endpoint (without its query): a typo or a missing CORS header is then visible.
  const endpoint = `${new URL(request.url).origin}${new URL(request.url).pathname}`;
  let response: Response;
  try {
    // With DPoP, a nonce demand is answered once more inside this same attempt (and lock).
    response = deps.dpop
      ? await sendToTokenEndpoint(deps.fetch, request, build, deps.dpop)
      : await deps.fetch(request);
  } catch (cause) {
    const crossOrigin = new URL(request.url).origin !== config.origin;
    const message = signal.aborted
      ? `no answer from ${endpoint} within the hard cap`
      : `network error during refresh at ${endpoint}${crossOrigin ? ' (another origin: unreachable, or its CORS headers do not allow this origin)' : ''}`;
    return {
      kind: 'transient',
      error: new TokenBrokerError('refresh-unavailable', message, { cause }),
      retryAfterMs: undefined,
      unreachable: true,
    };
  }
  const receivedAt = deps.now();
  try {
    if (response.ok) {
      const { tokens, flaw } = salvageTokens(await parseRefreshResponse(response, config));
      const date = Date.parse(response.headers.get('date') ?? '');
      return {
        kind: 'ok',
        tokens,
        receivedAt,
        serverDate: Number.isNaN(date) ? undefined : date,
        ...(flaw ? { flaw } : {}),
      };
    }
    const body = parseJson(await readCappedText(response).catch(() => ''));
    if (isDefinitiveRejection(response.status, body, config))
      return { kind: 'rejected', status: response.status };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), receivedAt);
    const error = new TokenBrokerError(
      'refresh-unavailable',
      `token endpoint ${endpoint} answered ${response.status}`,
      {
        ...(retryAfterMs === undefined ? {} : { retryAfter: retryAfterMs / 1000 }),
      },
    );
    return { kind: 'transient', error, retryAfterMs };
  } catch (cause) {
    if (signal.aborted) {
      return {
        kind: 'transient',
        error: new TokenBrokerError(
          'refresh-unavailable',
          `the answer from ${endpoint} was cut off at the hard cap`,
          { cause },
        ),
        retryAfterMs: undefined,
      };
    }
    const error = toTokenBrokerError(cause);
    return error.code === 'internal'
      ? { kind: 'invalid', error: new TokenBrokerError('invalid-token-response', error.message, { cause }) }
      : { kind: 'invalid', error };
  }
}
