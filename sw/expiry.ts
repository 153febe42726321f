/** Largest `expires_in` we accept: one year. Anything above is a broken server. */
export const MAX_EXPIRES_IN_SECONDS = 365 * 24 * 3600;

/**
 * When the access token expires on this worker's clock. `expires_in` is counted
 * from the moment the response arrived, so a wrong client clock does not matter.
 * Without it, the JWT `exp` (server clock) is shifted by the server's `Date` skew.
 */
export function computeExpiresAt(
  accessToken: string,
  expiresIn: number | undefined,
  receivedAt: number,
  serverDate?: number,
): number | null {
  if (expiresIn !== undefined) return receivedAt + expiresIn * 1000;
  const exp = decodeJwtExp(accessToken);
  if (exp === null) return null;
  const skew = serverDate === undefined ? 0 : receivedAt - serverDate;
  return exp * 1000 + skew;
}

/** The `exp` claim of a JWT (base64url payload), or null if it is not a JWT with a numeric `exp`. */
export function decodeJwtExp(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const claims: unknown = JSON.parse(atob(padded));
    const exp = (claims as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

/**
 * When to refresh proactively: `leadMs` before expiry, but never earlier than
 * three quarters into the token's life, so short-lived tokens are not refreshed constantly.
 */
export function refreshDueAt(expiresAt: number | null, receivedAt: number, leadMs: number): number | null {
  if (expiresAt === null) return null;
  const lifetime = Math.max(0, expiresAt - receivedAt);
  return expiresAt - Math.min(leadMs, lifetime / 4);
}
