import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, EmbeddedJWK } from 'jose';
import { accessTokenHash, proofTarget } from '../../sw/dpop-proof.js';
import type { FakeBackend } from './harness.js';

/** One proof as the DPoP server judged it. */
export interface SeenProof {
  path: string;
  /** Why it was refused; absent when it was accepted. */
  refused?: string;
  claims?: Record<string, unknown>;
  jkt?: string;
}

const TOKEN_PATHS = new Set(['/api/auth/refresh', '/api/auth/login']);

const json = (body: unknown, status: number, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/**
 * A DPoP-requiring authorization and resource server in front of `FakeBackend` (RFC 9449): it
 * verifies every proof (signature with the embedded key, `typ`, `htm`, `htu`, `jti` replay, its
 * nonce, `ath` and the key bound at login) before the backend sees the request, so a refused
 * proof consumes nothing, as in oidc-provider.
 */
export class DpopServer {
  /** The nonce the token endpoint demands; the API demands `apiNonce`. */
  nonce = 'as-nonce-1';
  apiNonce = 'rs-nonce-1';
  /** The key thumbprint the login bound the tokens to. */
  boundJkt: string | null = null;
  readonly proofs: SeenProof[] = [];
  readonly #jtis = new Set<string>();

  constructor(readonly backend: FakeBackend) {}

  refused(): SeenProof[] {
    return this.proofs.filter((p) => p.refused !== undefined);
  }

  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    if (path === '/api/auth/revoke') return this.backend.fetch(request);
    const token = TOKEN_PATHS.has(path);
    const nonce = token ? this.nonce : this.apiNonce;
    let accessToken: string | undefined;
    if (!token) {
      const auth = request.headers.get('authorization') ?? '';
      accessToken = /^DPoP (\S+)$/.exec(auth)?.[1];
      if (accessToken === undefined) return this.#refuse(path, 'not a DPoP authorization', token, nonce);
    }
    const verdict = await this.#verify(request, nonce, accessToken);
    if (verdict.refused) return this.#refuse(path, verdict.refused, token, nonce, verdict);
    this.proofs.push({ path, claims: verdict.claims, jkt: verdict.jkt });
    if (path === '/api/auth/login') this.boundJkt = verdict.jkt ?? null;
    else if (verdict.jkt !== this.boundJkt) return this.#refuse(path, 'another key', token, nonce);
    if (!token && accessToken !== this.backend.accessToken) return json({ error: 'invalid_token' }, 401);
    const answer = await this.backend.fetch(request);
    const headers = new Headers(answer.headers);
    headers.set('DPoP-Nonce', nonce);
    return new Response(answer.body, { status: answer.status, headers });
  }) as typeof fetch;

  #refuse(path: string, why: string, token: boolean, nonce: string, seen: Partial<SeenProof> = {}): Response {
    this.proofs.push({ ...seen, path, refused: why });
    const error = why === 'nonce' ? 'use_dpop_nonce' : 'invalid_dpop_proof';
    if (token) return json({ error }, 400, { 'DPoP-Nonce': nonce });
    return json({ error }, 401, {
      'DPoP-Nonce': nonce,
      'WWW-Authenticate': `DPoP error="${error}", algs="ES256"`,
    });
  }

  async #verify(
    request: Request,
    nonce: string,
    accessToken: string | undefined,
  ): Promise<{ refused?: string; claims?: Record<string, unknown>; jkt?: string }> {
    const proof = request.headers.get('dpop');
    if (!proof) return { refused: 'no proof' };
    const header = decodeProtectedHeader(proof);
    if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || !header.jwk) return { refused: 'header' };
    const { payload } = await compactVerify(proof, EmbeddedJWK);
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const jkt = await calculateJwkThumbprint(header.jwk);
    const seen = { claims, jkt };
    if (claims.htm !== request.method) return { ...seen, refused: 'htm' };
    if (claims.htu !== proofTarget(request.url)) return { ...seen, refused: 'htu' };
    if (typeof claims.jti !== 'string' || this.#jtis.has(claims.jti)) return { ...seen, refused: 'jti' };
    this.#jtis.add(claims.jti);
    if (accessToken !== undefined && claims.ath !== (await accessTokenHash(accessToken)))
      return { ...seen, refused: 'ath' };
    if (accessToken === undefined && claims.ath !== undefined) return { ...seen, refused: 'ath' };
    if (claims.nonce !== nonce) return { ...seen, refused: 'nonce' };
    return seen;
  }
}
