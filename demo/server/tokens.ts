import { randomUUID } from 'node:crypto';
import type { AccessClaims } from './jwt.js';
import type { ServerState } from './state.js';
import type { Family } from './token-store.js';

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

/** A fresh access token for the family's current generation, paired with its active refresh token. */
export function issueTokens(state: ServerState, family: Family): TokenResponse {
  const ttl = state.config.accessTtlSeconds;
  const iat = Date.now() / 1000;
  const access = state.jwt.sign({
    sub: family.sub,
    fam: family.id,
    gen: family.generation,
    iat,
    exp: iat + ttl,
    jti: randomUUID(),
  });
  return { access_token: access, refresh_token: family.activeToken, expires_in: ttl, token_type: 'Bearer' };
}

/** Claims of a valid, unexpired bearer token whose family is still live; else null. */
export function authenticate(state: ServerState, authorization: string | undefined): AccessClaims | null {
  // `DPoP` too (a worker with `dpop: true`): the demo server checks the token, not the proof.
  const match = /^(?:Bearer|DPoP) +(\S+) *$/i.exec(authorization ?? '');
  if (!match) return null;
  const claims = state.jwt.verify(match[1]!);
  if (!claims || claims.exp * 1000 <= Date.now()) return null;
  // The demo's race: the server declares every token issued so far expired.
  if (claims.iat * 1000 < state.demo.accessNotBefore) return null;
  const family = state.store.family(claims.fam);
  return family && !family.revoked ? claims : null;
}
