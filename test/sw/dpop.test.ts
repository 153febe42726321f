import { compactVerify, decodeProtectedHeader, EmbeddedJWK, calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { accessTokenHash, createDpopProof, generateDpopKey, proofTarget } from '../../sw/dpop-proof.js';
import { DpopNonces, isResourceNonceChallenge, isTokenEndpointNonceChallenge } from '../../sw/dpop-nonces.js';

const decoder = new TextDecoder();

async function verified(proof: string): Promise<Record<string, unknown>> {
  // EmbeddedJWK: the key in the proof's own header verifies it, as a DPoP server does.
  const { payload } = await compactVerify(proof, EmbeddedJWK);
  return JSON.parse(decoder.decode(payload)) as Record<string, unknown>;
}

describe('DPoP proof', () => {
  it('is an ES256 JWS of type dpop+jwt that verifies with its embedded public key', async () => {
    const key = await generateDpopKey();
    const proof = await createDpopProof(key, { method: 'post', url: 'https://as.example/token' });
    const header = decodeProtectedHeader(proof);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } });
    expect(Object.keys(header.jwk ?? {}).sort()).toEqual(['crv', 'kty', 'x', 'y']); // no private `d`
    const claims = await verified(proof);
    expect(claims.htm).toBe('POST');
    expect(claims.htu).toBe('https://as.example/token');
    expect(claims).not.toHaveProperty('ath');
    expect(claims).not.toHaveProperty('nonce');
  });

  it('keeps the private key non-extractable', async () => {
    const key = await generateDpopKey();
    expect(key.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('jwk', key.privateKey)).rejects.toThrow();
  });

  it('drops query and fragment from htu and normalises scheme, host and default port', () => {
    expect(proofTarget('https://API.Example:443/v1/items?page=2#top')).toBe('https://api.example/v1/items');
    expect(proofTarget('http://api.example:8080/a/../b')).toBe('http://api.example:8080/b');
  });

  it('binds a resource request to its access token with ath = base64url(SHA-256(token))', async () => {
    const key = await generateDpopKey();
    const token = 'eyJhbGciOiJFUzI1NiJ9.payload.sig';
    const claims = await verified(
      await createDpopProof(key, { method: 'GET', url: 'https://api.example/me', accessToken: token }),
    );
    // RFC 9449 §4.2 (a token from Appendix-style input): recompute independently with node:crypto.
    const { createHash } = await import('node:crypto');
    expect(claims.ath).toBe(createHash('sha256').update(token, 'ascii').digest('base64url'));
    expect(await accessTokenHash(token)).toBe(claims.ath);
  });

  it('sets iat from the given clock in whole seconds and carries the nonce', async () => {
    const key = await generateDpopKey();
    const claims = await verified(
      await createDpopProof(key, {
        method: 'GET',
        url: 'https://api.example/',
        nonce: 'n-1',
        now: 1_700_000_000.9,
      }),
    );
    expect(claims.iat).toBe(1_700_000_000);
    expect(claims.nonce).toBe('n-1');
  });

  it('gives every proof its own jti', async () => {
    const key = await generateDpopKey();
    const jtis = new Set<unknown>();
    for (let i = 0; i < 200; i++)
      jtis.add(
        (await verified(await createDpopProof(key, { method: 'GET', url: 'https://a.example/' }))).jti,
      );
    expect(jtis.size).toBe(200);
  });

  it('uses one key per session: proofs of one key share a thumbprint, another key differs', async () => {
    const [a, b] = [await generateDpopKey(), await generateDpopKey()];
    expect(await calculateJwkThumbprint(a.publicJwk)).not.toBe(await calculateJwkThumbprint(b.publicJwk));
    const first = decodeProtectedHeader(
      await createDpopProof(a, { method: 'GET', url: 'https://x.example/' }),
    );
    const second = decodeProtectedHeader(
      await createDpopProof(a, { method: 'GET', url: 'https://x.example/' }),
    );
    expect(first.jwk).toEqual(second.jwk);
  });

  it('survives structured cloning (how IndexedDB stores it) and still signs', async () => {
    const stored = structuredClone(await generateDpopKey());
    expect(
      await verified(await createDpopProof(stored, { method: 'GET', url: 'https://x.example/' })),
    ).toHaveProperty('jti');
  });
});

describe('DPoP nonces', () => {
  const answer = (headers: Record<string, string>, status = 200): Response =>
    new Response(null, { status, headers });

  it('keeps one nonce per origin, from any answer', () => {
    const nonces = new DpopNonces();
    expect(nonces.remember('https://as.example/token', answer({ 'DPoP-Nonce': 'a1' }, 400))).toBe(true);
    expect(nonces.remember('https://api.example/me', answer({ 'DPoP-Nonce': 'b1' }))).toBe(true);
    expect(nonces.nonceFor('https://as.example/other?x=1')).toBe('a1');
    expect(nonces.nonceFor('https://api.example/')).toBe('b1');
    expect(nonces.nonceFor('https://elsewhere.example/')).toBeUndefined();
  });

  it('reports only a changed nonce as new and ignores malformed ones', () => {
    const nonces = new DpopNonces();
    expect(nonces.remember('https://as.example/', answer({ 'DPoP-Nonce': 'a1' }))).toBe(true);
    expect(nonces.remember('https://as.example/', answer({ 'DPoP-Nonce': 'a1' }))).toBe(false);
    expect(nonces.remember('https://as.example/', answer({ 'DPoP-Nonce': 'has space' }))).toBe(false);
    expect(nonces.remember('https://as.example/', answer({ 'DPoP-Nonce': 'quo"te' }))).toBe(false);
    expect(nonces.remember('https://as.example/', answer({}))).toBe(false);
    expect(nonces.nonceFor('https://as.example/')).toBe('a1');
    nonces.clear();
    expect(nonces.nonceFor('https://as.example/')).toBeUndefined();
  });

  it('recognises the token endpoint challenge: 400 use_dpop_nonce, nothing else', () => {
    expect(isTokenEndpointNonceChallenge(400, { error: 'use_dpop_nonce' })).toBe(true);
    expect(isTokenEndpointNonceChallenge(400, { error: 'invalid_grant' })).toBe(false);
    expect(isTokenEndpointNonceChallenge(401, { error: 'use_dpop_nonce' })).toBe(false);
    expect(isTokenEndpointNonceChallenge(400, 'use_dpop_nonce')).toBe(false);
    expect(isTokenEndpointNonceChallenge(400, null)).toBe(false);
  });

  it('recognises the resource server challenge: 401 with a DPoP use_dpop_nonce challenge', () => {
    const challenge = (value: string, status = 401): boolean =>
      isResourceNonceChallenge(answer({ 'WWW-Authenticate': value }, status));
    expect(challenge('DPoP error="use_dpop_nonce", error_description="Resource server requires nonce"')).toBe(
      true,
    );
    expect(challenge('Bearer realm="x", DPoP algs="ES256", error="use_dpop_nonce"')).toBe(true);
    expect(challenge('DPoP error="invalid_token"')).toBe(false);
    expect(challenge('Bearer error="use_dpop_nonce"')).toBe(false);
    expect(challenge('DPoP error="use_dpop_nonce"', 403)).toBe(false);
    expect(isResourceNonceChallenge(answer({}, 401))).toBe(false);
  });
});
