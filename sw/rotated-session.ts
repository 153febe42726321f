import type { RefreshTrigger } from '../shared/protocol.js';
import { computeExpiresAt } from './expiry.js';
import type { AttemptOutcome } from './refresh-attempt.js';
import type { StoredSession } from './store.js';

/**
 * The session a successful refresh answer leads to. A server that does not rotate keeps the
 * old refresh token valid; an answer whose access token was unusable (but whose rotated refresh
 * token was kept) keeps the old access token and its expiry, so the next refresh is due as before.
 */
export function rotatedSession(
  base: StoredSession,
  outcome: Extract<AttemptOutcome, { kind: 'ok' }>,
  trigger: RefreshTrigger,
): StoredSession {
  const { tokens, receivedAt, serverDate } = outcome;
  const { inflight: _answered, ...rest } = base;
  const fresh = tokens.accessToken !== undefined;
  return {
    ...rest,
    accessToken: tokens.accessToken ?? base.accessToken,
    refreshToken: tokens.refreshToken ?? base.refreshToken,
    expiresAt:
      tokens.accessToken !== undefined
        ? computeExpiresAt(tokens.accessToken, tokens.expiresIn, receivedAt, serverDate)
        : base.expiresAt,
    receivedAt: fresh ? receivedAt : base.receivedAt,
    generation: base.generation + 1,
    trigger,
  };
}
