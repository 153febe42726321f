import { EXPOSED_CLAIMS, type SessionClaims, type SessionIdentity } from '../shared/identity.js';
import { jwtPayload } from './jwt.js';

/** Longest claim string or list a page gets; longer ones are dropped, not cut. */
const MAX_STRING = 1024;
const MAX_LIST = 64;

const plainValue = (v: unknown): unknown => {
  if (typeof v === 'string') return v.length <= MAX_STRING ? v : undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (
    Array.isArray(v) &&
    v.length <= MAX_LIST &&
    v.every((i) => typeof i === 'string' && i.length <= MAX_STRING)
  )
    return [...v];
  return undefined;
};

/**
 * What a page may know of who is logged in: the `EXPOSED_CLAIMS` of the access token with
 * plain values (strings, numbers, booleans, string lists). Never the token, never other claims.
 * An opaque token gives `{ sub: null, claims: {} }`. Nothing is cached: no token outlives its session here.
 */
export function identityOf(accessToken: string): SessionIdentity {
  const parts = accessToken.split('.');
  const payload = (parts.length === 3 && jwtPayload(parts[1])) || {};
  const claims: Record<string, unknown> = {};
  for (const name of EXPOSED_CLAIMS) {
    const value = plainValue(payload[name]);
    if (value !== undefined) claims[name] = value;
  }
  // `sub` is a string or nothing (RFC 7519 §4.1.2), so `identity.sub` and `claims.sub` agree.
  if (typeof claims.sub !== 'string') delete claims.sub;
  const sub = typeof claims.sub === 'string' ? claims.sub : null;
  return { sub, claims: claims as SessionClaims };
}
