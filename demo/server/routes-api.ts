import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body.js';
import type { AccessClaims } from './jwt.js';
import { sendJson } from './respond.js';
import type { ServerState } from './state.js';
import { authenticate } from './tokens.js';

const SLOW_DEFAULT_MS = 1000;
const SLOW_MAX_MS = 30_000;

/** Claims of the request's bearer token, or null after answering 401 itself. */
function requireAuth(state: ServerState, req: IncomingMessage, res: ServerResponse): AccessClaims | null {
  const claims = authenticate(state, req.headers.authorization);
  if (!claims) {
    state.counters.bump('unauthorized');
    sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  }
  return claims;
}

export function handlePing(_state: ServerState, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, { ok: true });
}

export function handleMe(state: ServerState, req: IncomingMessage, res: ServerResponse): void {
  const claims = requireAuth(state, req, res);
  if (claims) sendJson(res, 200, { user: claims.sub, family: claims.fam, generation: claims.gen });
}

/** Reports the body as bytes and a hash, so clients can prove a replayed body arrived intact. */
export async function handleEcho(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!requireAuth(state, req, res)) return;
  const body = await readBody(req);
  if (body === null) {
    sendJson(res, 413, { error: 'payload_too_large' });
    return;
  }
  sendJson(res, 200, {
    method: req.method,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
    contentType: req.headers['content-type'] ?? null,
  });
}

/**
 * Answers after `?ms=` (default 1 s, at most 30 s). The token is checked on arrival, or after the
 * wait with `?validate=end`, to test tokens that expire while a request is in flight.
 */
export async function handleSlow(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const requested = Number(query.get('ms') ?? SLOW_DEFAULT_MS);
  const ms = Number.isFinite(requested) ? Math.min(Math.max(requested, 0), SLOW_MAX_MS) : SLOW_DEFAULT_MS;
  const atEnd = query.get('validate') === 'end';
  // A held POST (a payment, say) is read first, as a real server would before holding it.
  if (req.method === 'POST' && (await readBody(req)) === null) {
    sendJson(res, 413, { error: 'payload_too_large' });
    return;
  }

  const early = atEnd ? null : requireAuth(state, req, res);
  if (!atEnd && !early) return;
  if (!(await state.lifetime.sleep(ms))) return;
  const claims = early ?? requireAuth(state, req, res);
  if (claims) sendJson(res, 200, { ok: true, generation: claims.gen });
}

/**
 * Test only: answers 401 to every request, valid token or not, like an API that says 401 where
 * 403 belongs. A refresh can never cure it.
 */
export function handleForbidden(state: ServerState, _req: IncomingMessage, res: ServerResponse): void {
  state.counters.bump('unauthorized');
  sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Test only (mounted by the router just when `testControl` is on; an open redirect in the
 * demo proper would be a defect): answers `?status=` (301|302|303|307|308, default 302) with
 * `Location: ?to=`, an absolute http(s) URL. Lets e2e tests follow an in-scope request that
 * the server redirects elsewhere. A request body is read and discarded.
 */
export async function handleRedirect(
  _state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET') await readBody(req);
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const rawStatus = query.get('status') ?? '302';
  const status = /^\d{3}$/.test(rawStatus) ? Number(rawStatus) : NaN;
  if (!REDIRECT_STATUSES.has(status)) {
    sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'status must be one of 301, 302, 303, 307, 308',
    });
    return;
  }
  const to = query.get('to');
  let location: URL | null = null;
  try {
    location = to === null ? null : new URL(to);
  } catch {
    location = null;
  }
  if (!location || (location.protocol !== 'http:' && location.protocol !== 'https:')) {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'to must be an absolute http(s) URL' });
    return;
  }
  sendJson(res, status, { location: location.href }, { Location: location.href });
}

/**
 * Test only: reads the whole body as it streams (no size cap, nothing kept: `?hash=0` only
 * counts it), notes its length, hash and Content-Length on the request's log entry, then checks
 * the token. `?reject=<id>` answers the first request with that id 401 whatever its token, as a
 * server-side expiry would, after reading the body.
 */
export async function handleUpload(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const hash = query.get('hash') === '0' ? null : createHash('sha256');
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    hash?.update(chunk);
  }
  const length = req.headers['content-length'];
  const body = {
    bytes,
    sha256: hash ? hash.digest('hex') : null,
    contentLength: length === undefined ? null : Number(length),
  };
  state.counters.describeBody(req, body);
  const reject = query.get('reject');
  if (reject !== null && !state.rejectedUploads.has(reject)) {
    state.rejectedUploads.add(reject);
    state.counters.bump('unauthorized');
    sendJson(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    return;
  }
  if (requireAuth(state, req, res)) sendJson(res, 200, body);
}
