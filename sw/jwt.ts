/**
 * The JSON object a JWT's payload segment (base64url, UTF-8) holds, or null for anything
 * else. The worker reads claims for expiry and for the page's identity; it never verifies them.
 */
export function jwtPayload(segment: string | undefined): Record<string, unknown> | null {
  if (!segment) return null;
  try {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    // atob yields Latin-1 code units: names and emails are UTF-8.
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const payload: unknown = JSON.parse(json);
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
