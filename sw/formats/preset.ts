import type { TokenEndpointHooks } from '../settings.js';

/**
 * A built-in token-endpoint format: every hook an app may pass to `installTokenBroker`. The
 * app's own hooks are merged over it (sw/settings.ts), so a format is never a special case.
 */
export type TokenEndpointPreset = Required<TokenEndpointHooks>;

/** The refresh POST every preset sends: JSON expected back, never answered from a cache. */
export function refreshPost(
  url: URL,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): Request {
  return new Request(url, {
    method: 'POST',
    headers: { ...headers, Accept: 'application/json', 'Content-Type': contentType },
    body,
    credentials: 'same-origin',
    cache: 'no-store',
  });
}

/** The error body of a 400 or 401 answer as a record, else null (any other status is never definitive). */
export function rejectionBody(status: number, body: unknown): Record<string, unknown> | null {
  if (status !== 400 && status !== 401) return null;
  return (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
}

/** RFC 6749 §5.2: a 400/401 with `error: "invalid_grant"` says the refresh token is dead. */
export function isInvalidGrant(status: number, body: unknown): boolean {
  return rejectionBody(status, body)?.error === 'invalid_grant';
}
