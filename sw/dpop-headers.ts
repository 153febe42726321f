import { errorResponse } from './error-response.js';
import type { Broker } from './broker.js';
import { isResourceNonceChallenge, isTokenEndpointNonceChallenge, type DpopNonces } from './dpop-nonces.js';
import { createDpopProof, type DpopKey } from './dpop-proof.js';
import type { StoredSession } from './store.js';
import { parseJson, readCappedText } from './token-response.js';

// What `dpop: true` changes on the requests the worker sends (RFC 9449): a proof in the `DPoP`
// header of the login, every refresh and every in-scope request, the `DPoP` scheme instead of
// `Bearer`, and one more try when a server asks for a nonce it chose.

/** The key and the per-origin nonces a proof needs. */
export interface DpopSigner {
  key: DpopKey;
  nonces: DpopNonces;
}

/** Puts a fresh proof for `request` into its `DPoP` header (`ath` when it carries `accessToken`). */
export async function attachProof(
  request: Request,
  { key, nonces }: DpopSigner,
  accessToken?: string,
): Promise<Request> {
  const proof = await createDpopProof(key, {
    method: request.method,
    url: request.url,
    accessToken,
    nonce: nonces.nonceFor(request.url),
  });
  request.headers.set('DPoP', proof);
  return request;
}

/**
 * Sends a token-endpoint request (the login's code exchange or a refresh) with a proof. A
 * `use_dpop_nonce` answer (400, RFC 9449 §8) is sent once more with the nonce it announced:
 * the server checks the proof before it looks at the grant, so the first request spent neither
 * code nor refresh token (docs/platform-facts.md §18). Called inside the refresh lock, so the
 * second request is part of the same attempt.
 */
export async function sendToTokenEndpoint(
  fetchFn: typeof fetch,
  first: Request,
  rebuild: () => Request,
  signer: DpopSigner,
): Promise<Response> {
  const url = first.url;
  const response = await fetchFn(await attachProof(first, signer));
  if (!signer.nonces.remember(url, response) || response.status !== 400) return response;
  const body = parseJson(await readCappedText(response.clone()).catch(() => ''));
  if (!isTokenEndpointNonceChallenge(response.status, body)) return response;
  await response.body?.cancel();
  const again = await fetchFn(await attachProof(rebuild(), signer));
  signer.nonces.remember(url, again);
  return again;
}

/**
 * A login request (captured by the worker) sent with a proof of `key`, so the server binds the
 * tokens it issues to it. The body is read once, so the nonce retry can rebuild the request.
 */
export async function sendLogin(
  fetchFn: typeof fetch,
  request: Request,
  signer: DpopSigner,
): Promise<Response> {
  const body =
    request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
  // A non-empty init resets referrer and its policy (Fetch spec, Request constructor): copy them.
  const build = (): Request =>
    new Request(request, {
      headers: new Headers(request.headers),
      body,
      referrer: request.referrer,
      referrerPolicy: request.referrerPolicy,
    });
  return sendToTokenEndpoint(fetchFn, build(), build, signer);
}

/** A 401 the worker made up: the session's DPoP key is gone, so its token was not sent. */
const keyLost = (): Response =>
  errorResponse(401, 'dpop-key-lost', 'the DPoP key of this session is missing; the session was ended');

/** The signer for `session` when `dpop` is on: null when off, `lost` when the session has no key. */
function signerFor(broker: Broker, session: StoredSession | null): DpopSigner | null | 'lost' {
  if (!session || broker.currentConfig()?.dpop !== true) return null;
  return session.dpopKey ? { key: session.dpopKey, nonces: broker.state.dpopNonces } : 'lost';
}

/**
 * An in-scope request as `dpop` wants it: `Authorization: DPoP <token>` and a proof bound to the
 * token (`ath`). Without `dpop` it is returned as it is. A session without its key is ended and
 * answered with a 401 (`dpop-key-lost`): its token never goes out as a bearer token.
 */
export async function bindAttempt(
  broker: Broker,
  attempt: Request,
  session: StoredSession | null,
): Promise<Request | Response> {
  const signer = signerFor(broker, session);
  if (signer === null || !session) return attempt;
  if (signer === 'lost') {
    await broker.state.keyLost(session);
    return keyLost();
  }
  attempt.headers.set('Authorization', `DPoP ${session.accessToken}`);
  return attachProof(attempt, signer, session.accessToken);
}

/**
 * Keeps the `DPoP-Nonce` a resource server announced; a `use_dpop_nonce` 401 (RFC 9449 §9) is
 * sent once more with it (a new proof for the same token), before any refresh is considered.
 * Resolves null, leaving `first` unread, when the demand came but the request cannot be sent
 * again (`rebuild` found its body already spent or over the replay limit).
 */
export async function answerNonce(
  broker: Broker,
  session: StoredSession | null,
  first: Response,
  url: string,
  resend: (attempt: Request) => Promise<Response>,
  rebuild: () => Promise<Request | null>,
): Promise<Response | null> {
  const signer = signerFor(broker, session);
  if (signer === null || signer === 'lost' || !session) return first;
  if (!signer.nonces.remember(url, first) || !isResourceNonceChallenge(first)) return first;
  const fresh = await rebuild();
  if (!fresh) return null;
  await first.body?.cancel();
  broker.debug('DPoP nonce demanded: sent once more', { generation: session.generation });
  const again = await resend((await bindAttempt(broker, fresh, session)) as Request);
  signer.nonces.remember(url, again);
  return again;
}
