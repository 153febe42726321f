/**
 * The claims of the access token a page may see: identity and authorisation hints, never
 * token material. The worker decodes them (it does not verify the signature: it got the token
 * from the token endpoint itself) and keeps only the names in `EXPOSED_CLAIMS`, with plain values.
 */
export interface SessionClaims {
  sub?: string;
  iss?: string;
  aud?: string | string[];
  /** Seconds since the epoch. */
  exp?: number;
  /** Seconds since the epoch. */
  iat?: number;
  /** Seconds since the epoch. */
  auth_time?: number;
  azp?: string;
  /** The OpenID Connect session id. */
  sid?: string;
  email?: string;
  email_verified?: boolean;
  phone?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  preferred_username?: string;
  nickname?: string;
  picture?: string;
  locale?: string;
  zoneinfo?: string;
  /** OAuth 2.0 scope, space-separated. */
  scope?: string;
  /** Scopes as an array (Azure AD, some gateways). */
  scp?: string | string[];
  roles?: string[];
  groups?: string[];
  /** Supabase: the Postgres role (`authenticated`, `anon`). */
  role?: string;
  /** Supabase: authenticator assurance level. */
  aal?: string;
  /** Supabase: the GoTrue session id. */
  session_id?: string;
  is_anonymous?: boolean;
}

/** Claim names a page may see; anything else in the token stays in the worker. */
export const EXPOSED_CLAIMS: ReadonlyArray<keyof SessionClaims> = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'azp',
  'sid',
  'email',
  'email_verified',
  'phone',
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'nickname',
  'picture',
  'locale',
  'zoneinfo',
  'scope',
  'scp',
  'roles',
  'groups',
  'role',
  'aal',
  'session_id',
  'is_anonymous',
];

/** Who is logged in, as far as the access token says. */
export interface SessionIdentity {
  /** The `sub` claim; null when the token carries none. */
  sub: string | null;
  /** The exposed claims (`EXPOSED_CLAIMS`); empty for an opaque (non-JWT) token. */
  claims: SessionClaims;
}

const isPlain = (v: unknown): boolean =>
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (Array.isArray(v) && v.every((item) => typeof item === 'string'));

/** True for an identity as the worker sends it (a page checks broadcasts with it). */
export function isSessionIdentity(data: unknown): data is SessionIdentity {
  if (typeof data !== 'object' || data === null) return false;
  const { sub, claims } = data as Record<string, unknown>;
  if (sub !== null && typeof sub !== 'string') return false;
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return false;
  return Object.values(claims).every(isPlain);
}
