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
export async function handleEcho(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
export async function handleSlow(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const requested = Number(query.get('ms') ?? SLOW_DEFAULT_MS);
  const ms = Number.isFinite(requested) ? Math.min(Math.max(requested, 0), SLOW_MAX_MS) : SLOW_DEFAULT_MS;
  const atEnd = query.get('validate') === 'end';

  const early = atEnd ? null : requireAuth(state, req, res);
  if (!atEnd && !early) return;
  if (!(await state.lifetime.sleep(ms))) return;
  const claims = early ?? requireAuth(state, req, res);
  if (claims) sendJson(res, 200, { ok: true, generation: claims.gen });
}
