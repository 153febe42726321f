// DPoP proofs (RFC 9449): a JWS signed with a per-session key the worker keeps, so a copied access
// token is useless without the private key, which never leaves the worker (non-extractable).

/** A session's DPoP key: the private half signs, the public half goes into every proof's header. */
export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
}

export interface ProofInput {
  /** The request's method (`htm`), upper case as sent. */
  method: string;
  /** The request's URL; query and fragment are dropped for `htu` (RFC 9449 §4.2). */
  url: string | URL;
  /** The access token the request carries: its hash becomes `ath` (resource requests only). */
  accessToken?: string;
  /** The server's latest `DPoP-Nonce` for this origin, when it demands one. */
  nonce?: string;
  /** Seconds since the epoch for `iat`; the worker's clock by default. */
  now?: number;
}

const ES256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const encoder = new TextEncoder();

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (const byte of view) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const encodeJson = (value: unknown): string => base64url(encoder.encode(JSON.stringify(value)));

/** A fresh ES256 key pair; the private key cannot be exported, even by script on this origin. */
export async function generateDpopKey(): Promise<DpopKey> {
  const pair = (await crypto.subtle.generateKey(ES256, false, ['sign', 'verify'])) as CryptoKeyPair;
  // A public key is always exportable, whatever `extractable` says (Web Crypto generateKey).
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y)
    throw new Error('unexpected DPoP public key');
  return { privateKey: pair.privateKey, publicJwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } };
}

/** `htu`: the target URI without query and fragment (RFC 9449 §4.2), in the URL parser's normal form. */
export function proofTarget(url: string | URL): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

// The last token hashed: every request of a token's lifetime carries the same `ath`, and each
// `crypto.subtle` call is a hop to the browser's crypto thread (bench row 8).
let lastHash: { token: string; ath: Promise<string> } | undefined;

/** `ath`: base64url of the SHA-256 of the access token's ASCII bytes (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): Promise<string> {
  if (lastHash?.token !== accessToken) {
    const ath = crypto.subtle.digest('SHA-256', encoder.encode(accessToken)).then(base64url);
    lastHash = { token: accessToken, ath };
  }
  return lastHash.ath;
}

/** One proof for one request: a unique `jti` every time, as servers may refuse a replayed one. */
export async function createDpopProof(key: DpopKey, input: ProofInput): Promise<string> {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk };
  const payload: Record<string, string | number> = {
    jti: base64url(crypto.getRandomValues(new Uint8Array(16))),
    htm: input.method.toUpperCase(),
    htu: proofTarget(input.url),
    iat: Math.floor(input.now ?? Date.now() / 1000),
  };
  if (input.accessToken !== undefined) payload.ath = await accessTokenHash(input.accessToken);
  if (input.nonce !== undefined) payload.nonce = input.nonce;
  const signingInput = `${encodeJson(header)}.${encodeJson(payload)}`;
  // Web Crypto's ECDSA signature is r || s (IEEE P1363), which is exactly JWS's ES256 form.
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.privateKey,
    encoder.encode(signingInput),
  );
  return `${signingInput}.${base64url(signature)}`;
}
