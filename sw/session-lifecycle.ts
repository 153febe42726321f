import type { SessionTokens } from '../shared/protocol.js';
import { TokenBrokerError } from '../shared/errors.js';
import type { BrokerState } from './broker-state.js';
import { generateDpopKey, type DpopKey } from './dpop-proof.js';
import { expiresIn } from './expiry.js';
import { loginSession } from './session-record.js';
import type { StoredSession } from './store.js';
import { validateTokens } from './token-response.js';

/**
 * Stores tokens from the app's login as a new lineage, at once: a login never waits for a
 * refresh of an older session, and that refresh's answer is discarded when it comes. With
 * `dpop` on, every login gets a new DPoP key: the one its login request was proved with
 * (login capture), else a fresh one (`setSession` from a page, whose login had no proof).
 */
export async function storeLogin(
  state: BrokerState,
  tokens: SessionTokens,
  now: () => number,
  loginKey?: DpopKey,
): Promise<StoredSession> {
  const valid = validateTokens(tokens ?? {}, 'invalid-session');
  if (!valid.refreshToken) throw new TokenBrokerError('invalid-session', 'a refresh token is required');
  const dpopKey = loginKey ?? (state.config?.dpop ? await generateDpopKey() : undefined);
  const receivedAt = now();
  const known = state.session?.generation ?? 0;
  const session = (await state.deps.store.update((previous) =>
    loginSession(
      { ...valid, refreshToken: valid.refreshToken as string },
      receivedAt,
      Math.max(previous?.generation ?? 0, known) + 1,
      dpopKey,
    ),
  )) as StoredSession;
  state.session = session;
  state.post({ type: 'session', generation: session.generation, expiresIn: expiresIn(session, now) ?? 0 });
  return session;
}

/**
 * Ends the session at once (storage cleared, every tab told), never waiting for a refresh,
 * then revokes the refresh token (best effort). A refresh answer still on its way is
 * discarded by the coordinator and its new refresh token revoked too.
 */
export async function endSession(state: BrokerState): Promise<void> {
  let stored: StoredSession | null = null;
  await state.deps.store
    .update((current) => {
      stored = current;
      return null;
    })
    .catch(() => undefined);
  const tokens = new Set([(stored as StoredSession | null)?.refreshToken, state.session?.refreshToken]);
  const announced = state.ended('user-logout');
  for (const token of tokens) if (token) state.revoke(token);
  await announced;
  await state.settled();
}
