import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFields, readBody, stringField, type Fields } from './body.js';
import { answerWithFault } from './fault-responses.js';
import { sendJson } from './respond.js';
import type { ServerState } from './state.js';
import { issueTokens } from './tokens.js';

/** The only account the demo knows. */
export const DEMO_CREDENTIALS = { username: 'demo', password: 'demo' } as const;

export const CLIENT_REVOKED_REASON = 'client-revoked';

/** Body fields, or null after answering 413/400 itself. */
async function readFields(req: IncomingMessage, res: ServerResponse): Promise<Fields | null> {
  const body = await readBody(req);
  if (body === null) {
    sendJson(res, 413, { error: 'payload_too_large' });
    return null;
  }
  const fields = parseFields(body, req.headers['content-type']);
  if (!fields) sendJson(res, 400, { error: 'invalid_request', error_description: 'expected a JSON or form body' });
  return fields;
}

function invalidGrant(state: ServerState, res: ServerResponse, description: string): void {
  state.counters.bump('invalidGrants');
  sendJson(res, 401, { error: 'invalid_grant', error_description: description });
}

export async function handleLogin(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const fields = await readFields(req, res);
  if (!fields) return;
  const ok = fields.username === DEMO_CREDENTIALS.username && fields.password === DEMO_CREDENTIALS.password;
  if (!ok) {
    sendJson(res, 401, { error: 'invalid_credentials' });
    return;
  }
  state.counters.bump('logins');
  sendJson(res, 200, issueTokens(state, state.store.createFamily(DEMO_CREDENTIALS.username)));
}

/**
 * Refresh with rotation. The fault is taken when the call arrives, so faults line up with calls
 * in arrival order even when bodies arrive at different speeds. A fault replaces the whole answer
 * (even to a malformed request) and never rotates.
 */
export async function handleRefresh(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  state.counters.bump('refreshCalls');
  const fault = state.faults.take();
  const fields = await readFields(req, res);
  if (!fields) return;
  const token = stringField(fields, 'refresh_token');
  const family = token === undefined ? undefined : state.store.familyOf(token);
  if (family) state.counters.bumpFamily(family.id, 'refreshCalls');

  if (!(await state.lifetime.sleep(state.faults.beforeMs + (fault?.kind === 'slow' ? fault.ms : 0)))) return;
  if (fault && fault.kind !== 'slow' && fault.kind !== 'bad-expiry') {
    answerWithFault(state, res, fault);
    return;
  }
  if (fields.grant_type !== undefined && fields.grant_type !== 'refresh_token') {
    sendJson(res, 400, { error: 'unsupported_grant_type' });
    return;
  }
  if (token === undefined) {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'refresh_token is required' });
    return;
  }

  const outcome = state.store.refresh(token, state.config.reuseGraceSeconds);
  switch (outcome.kind) {
    case 'rotated': {
      state.counters.bump('rotations');
      state.counters.bumpFamily(outcome.family.id, 'rotations');
      const tokens = issueTokens(state, outcome.family);
      // The rotation is done: a client that dies during this wait has lost the new token.
      if (!(await state.lifetime.sleep(state.faults.afterMs))) return;
      sendJson(res, 200, fault?.kind === 'bad-expiry' ? { ...tokens, expires_in: fault.expiresIn } : tokens);
      return;
    }
    case 'grace':
      state.counters.bump('graceReuses');
      sendJson(res, 200, issueTokens(state, outcome.family));
      return;
    case 'reuse':
      state.counters.bump('reuseDetections');
      invalidGrant(state, res, 'refresh token reuse detected');
      return;
    case 'invalid':
      invalidGrant(state, res, outcome.why === 'family-revoked' ? 'refresh token revoked' : 'unknown refresh token');
      return;
  }
}

/** RFC 7009 style: always 200, so the answer never tells whether a token existed. */
export async function handleRevoke(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const fields = await readFields(req, res);
  if (!fields) return;
  const token = stringField(fields, 'token') ?? stringField(fields, 'refresh_token');
  if (token !== undefined) {
    // Accept an access token too (RFC 7009 token_type_hint): it names its family in `fam`.
    const familyId = state.store.familyOf(token)?.id ?? state.jwt.verify(token)?.fam;
    if (familyId !== undefined) state.store.revokeFamily(familyId, CLIENT_REVOKED_REASON);
  }
  sendJson(res, 200, {});
}
