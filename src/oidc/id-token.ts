import { TokenBrokerError } from '../../shared/errors.js';

/** The claims of an ID token (OpenID Connect Core 1.0 §2) the helper checks, and any others. */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  nonce?: string;
  azp?: string;
  [claim: string]: unknown;
}

/** What an ID token must match: this login's provider, client and nonce. */
export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  /** Seconds since the epoch. */
  now: number;
}

/** Clocks of browsers and providers disagree; an ID token this far past `exp` is still taken. */
const CLOCK_SKEW_SECONDS = 60;

const invalid = (message: string): never => {
  throw new TokenBrokerError('invalid-id-token', `the ID token ${message}`);
};

function decodePayload(idToken: string): Record<string, unknown> {
  const part = idToken.split('.')[1];
  if (idToken.split('.').length !== 3 || !part) return invalid('is not a JWS in compact form');
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const payload: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof payload === 'object' && payload !== null) return payload as Record<string, unknown>;
  } catch {
    // Reported below, as any other malformed payload.
  }
  return invalid('payload is not a JSON object');
}

/**
 * Validates an ID token received from the token endpoint (OpenID Connect Core 1.0 §3.1.3.7).
 * The signature is not checked: the token came straight from the token endpoint over TLS (to
 * the worker, which handed the answer to this page), and §3.1.3.7 step 6 lets TLS server
 * validation stand in for it in that case. Checked: `iss` is the issuer, `aud` contains the
 * client (and `azp` names it when there are several audiences), `exp` has not passed, and
 * `nonce` is this login's (§3.1.3.7 step 11: a replayed ID token fails here).
 */
export function checkIdToken(idToken: unknown, expected: IdTokenExpectations): IdTokenClaims {
  if (typeof idToken !== 'string') return invalid('is missing from the token response');
  const claims = decodePayload(idToken);
  if (claims.iss !== expected.issuer) invalid(`was issued by ${JSON.stringify(claims.iss)}, not the issuer`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expected.clientId)) invalid('is not meant for this client (aud)');
  if (audiences.length > 1 && claims.azp !== expected.clientId)
    invalid('has several audiences and azp does not name this client');
  if (typeof claims.exp !== 'number') invalid('has no exp');
  if ((claims.exp as number) + CLOCK_SKEW_SECONDS <= expected.now) invalid('has expired');
  if (typeof claims.sub !== 'string') invalid('has no sub');
  if (claims.nonce !== expected.nonce) invalid("nonce is not this login's");
  return claims as IdTokenClaims;
}
