import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface AccessClaims {
  sub: string;
  fam: string;
  gen: number;
  /** Seconds since the epoch; fractional so that sub-second lifetimes work. */
  iat: number;
  exp: number;
  jti: string;
}

export interface JwtSigner {
  sign(claims: AccessClaims): string;
  /** Claims of a well-formed token carrying our signature, expired or not; else null. */
  verify(token: string): AccessClaims | null;
}

const HEADER = encodeSegment({ alg: 'HS256', typ: 'JWT' });

/** HS256 signer over a secret that never leaves the process. */
export function createJwtSigner(secret: Buffer = randomBytes(32)): JwtSigner {
  const mac = (input: string): Buffer => createHmac('sha256', secret).update(input).digest();
  return {
    sign(claims) {
      const body = `${HEADER}.${encodeSegment(claims)}`;
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      const [header, payload, signature] = parts as [string, string, string];
      if (header !== HEADER) return null;
      const expected = mac(`${header}.${payload}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      return parseClaims(payload);
    },
  };
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parseClaims(segment: string): AccessClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  const ok =
    typeof c.sub === 'string' &&
    typeof c.fam === 'string' &&
    typeof c.gen === 'number' &&
    typeof c.iat === 'number' &&
    typeof c.exp === 'number' &&
    typeof c.jti === 'string';
  return ok ? (c as unknown as AccessClaims) : null;
}
