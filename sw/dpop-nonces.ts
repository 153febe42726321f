// DPoP nonces (RFC 9449 §8, §9): servers may demand a nonce they chose in every proof. Each origin
// (the authorization server, each resource server) has its own, and announces a new one in a
// `DPoP-Nonce` header on any answer, including the error that asks for it.

/** The latest nonce each origin announced, kept for the worker's lifetime. */
export class DpopNonces {
  readonly #byOrigin = new Map<string, string>();

  /** The nonce to put into the next proof for `url`, if that origin announced one. */
  nonceFor(url: string | URL): string | undefined {
    return this.#byOrigin.get(new URL(url).origin);
  }

  /** Keeps the nonce an answer from `url` announced; returns true when it is new. */
  remember(url: string | URL, response: Response): boolean {
    const nonce = response.headers.get('DPoP-Nonce');
    // RFC 9449 §8.1: a nonce is a non-empty string of NQCHAR (%x21 / %x23-5B / %x5D-7E).
    if (nonce === null || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce)) return false;
    const origin = new URL(url).origin;
    if (this.#byOrigin.get(origin) === nonce) return false;
    this.#byOrigin.set(origin, nonce);
    return true;
  }

  clear(): void {
    this.#byOrigin.clear();
  }
}

/**
 * True when a token endpoint's answer asks for a (new) nonce: `400` with the JSON error
 * `use_dpop_nonce` (RFC 9449 §8). The server refuses such a request before it looks at the grant,
 * so the refresh token it carried is not spent and may be sent once more with the nonce.
 */
export function isTokenEndpointNonceChallenge(status: number, body: unknown): boolean {
  return (
    status === 400 &&
    typeof body === 'object' &&
    body !== null &&
    (body as Record<string, unknown>).error === 'use_dpop_nonce'
  );
}

/**
 * True when a resource server's answer asks for a (new) nonce: `401` with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` (RFC 9449 §9).
 */
export function isResourceNonceChallenge(response: Response): boolean {
  if (response.status !== 401) return false;
  const challenge = response.headers.get('WWW-Authenticate') ?? '';
  return /(^|,)\s*DPoP\b/i.test(challenge) && /\berror\s*=\s*"?use_dpop_nonce"?/i.test(challenge);
}
