import { jwtPayload } from './jwt.js';

/** Largest `expires_in` we accept: one year. Anything above is a broken server. */
export const MAX_EXPIRES_IN_SECONDS = 365 * 24 * 3600;

/**
 * When the access token expires on this worker's clock, which may be far off the server's.
 * In order of preference:
 * 1. `expires_in`, counted from the moment the response arrived;
 * 2. the JWT `exp`, shifted by the skew between the server's `Date` header and arrival;
 * 3. the JWT's lifetime `exp - iat`, counted from arrival: a cross-origin token endpoint's
 *    `Date` is not readable by `fetch`, and an absolute `exp` read on a clock running ahead
 *    would look expired on arrival and cause a refresh per request;
 * 4. the JWT `exp` at face value, only if it lies ahead on our clock within a sane lifetime.
 * Otherwise null: expiry unknown, so the token is refreshed only on a 401.
 */
export function computeExpiresAt(
  accessToken: string,
  expiresIn: number | undefined,
  receivedAt: number,
  serverDate?: number,
): number | null {
  if (expiresIn !== undefined) return receivedAt + expiresIn * 1000;
  const claims = decodeJwtTimes(accessToken);
  if (claims === null) return null;
  const { exp, iat } = claims;
  if (serverDate !== undefined) return exp * 1000 + (receivedAt - serverDate);
  const sane = (lifetimeMs: number): boolean => lifetimeMs > 0 && lifetimeMs <= MAX_EXPIRES_IN_SECONDS * 1000;
  if (iat !== null && sane((exp - iat) * 1000)) return receivedAt + (exp - iat) * 1000;
  return sane(exp * 1000 - receivedAt) ? exp * 1000 : null;
}

/** The `exp` claim of a JWT (base64url payload), or null if it is not a JWT with a numeric `exp`. */
export function decodeJwtExp(token: string): number | null {
  return decodeJwtTimes(token)?.exp ?? null;
}

/** The numeric `exp` (required) and `iat` (null when absent) claims of a JWT, or null. */
export function decodeJwtTimes(token: string): { exp: number; iat: number | null } | null {
  const claims = jwtPayload(token.split('.')[1]);
  const number = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!number(claims?.exp)) return null;
  return { exp: claims.exp, iat: number(claims.iat) ? claims.iat : null };
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

/** Milliseconds until the session's access token expires (negative: expired), or null when unknown. */
export function expiresIn(session: { expiresAt: number | null }, now: () => number): number | null {
  return session.expiresAt === null ? null : session.expiresAt - now();
}
