import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFields, readBody, stringField, type Fields } from './body.js';
import { answerWithFault } from './fault-responses.js';
import { demoRefreshDelay, noteLogin, noteRefresh, settleRefresh, stickyFault } from './demo-hooks.js';
import { sendJson } from './respond.js';
import type { ServerState } from './state.js';
import type { Family } from './token-store.js';
import { authenticate, issueTokens } from './tokens.js';

/** The only account the demo knows. */
export const DEMO_CREDENTIALS = { username: 'demo', password: 'demo' } as const;

export const CLIENT_REVOKED_REASON = 'client-revoked';

/**
 * The demo's one OAuth client. It is public (no secret, like a browser app): a request names it
 * with `client_id`, and a request that names no client is taken to come from it.
 */
export const DEMO_CLIENT_ID = 'demo';

/** The client a request speaks for: its `client_id` field, else the demo's public client. */
function clientOf(fields: Fields): string {
  return stringField(fields, 'client_id') ?? DEMO_CLIENT_ID;
}

/** Body fields, or null after answering 413/400 itself. */
async function readFields(req: IncomingMessage, res: ServerResponse): Promise<Fields | null> {
  const body = await readBody(req);
  if (body === null) {
    sendJson(res, 413, { error: 'payload_too_large' });
    return null;
  }
  const fields = parseFields(body, req.headers['content-type']);
  if (!fields)
    sendJson(res, 400, { error: 'invalid_request', error_description: 'expected a JSON or form body' });
  return fields;
}

function invalidGrant(state: ServerState, res: ServerResponse, description: string): void {
  state.counters.bump('invalidGrants');
  sendJson(res, 401, { error: 'invalid_grant', error_description: description });
}

export async function handleLogin(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const fields = await readFields(req, res);
  if (!fields) return;
  const ok = fields.username === DEMO_CREDENTIALS.username && fields.password === DEMO_CREDENTIALS.password;
  if (!ok) {
    sendJson(res, 401, { error: 'invalid_credentials' });
    return;
  }
  state.counters.bump('logins');
  const family = state.store.createFamily(DEMO_CREDENTIALS.username, clientOf(fields));
  noteLogin(state, req, family);
  sendJson(res, 200, issueTokens(state, family));
}

/**
 * Refresh with rotation. The fault is taken when the call arrives, so faults line up with calls
 * in arrival order even when bodies arrive at different speeds. A fault replaces the whole answer
 * (even to a malformed request) and never rotates.
 */
export async function handleRefresh(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  state.counters.bump('refreshCalls');
  const fault = state.faults.take() ?? stickyFault(state);
  const fields = await readFields(req, res);
  if (!fields) return;
  const token = stringField(fields, 'refresh_token');
  const family = token === undefined ? undefined : state.store.familyOf(token);
  if (family) state.counters.bumpFamily(family.id, 'refreshCalls');
  const noted = noteRefresh(state, req, family, token);

  const delay = state.faults.beforeMs + (fault?.kind === 'slow' ? fault.ms : 0) + demoRefreshDelay(state);
  if (!(await state.lifetime.sleep(delay))) return;
  if (fault && fault.kind !== 'slow' && fault.kind !== 'bad-expiry') {
    settleRefresh(noted, 'fault');
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
  settleRefresh(noted, outcome.kind);
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
      invalidGrant(
        state,
        res,
        outcome.why === 'family-revoked' ? 'refresh token revoked' : 'unknown refresh token',
      );
      return;
  }
}

/**
 * RFC 7009 revocation. The token is a refresh token (any state: revoking a spent one ends its
 * family too) or a valid access token: signed by us, unexpired, its family live. Either way it
 * must have been issued to the requesting client (§2.1), else `400 invalid_request`. An expired,
 * unknown or malformed token changes nothing and still gets 200 (§2.2), so an expired access
 * token found in a log cannot end a session.
 */
export async function handleRevoke(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const fields = await readFields(req, res);
  if (!fields) return;
  const token = stringField(fields, 'token') ?? stringField(fields, 'refresh_token');
  if (token === undefined) {
    sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
    return;
  }
  // The hint only orders the lookup (§2.1); both kinds are tried.
  const family = state.store.familyOf(token) ?? familyOfAccessToken(state, token);
  if (family && family.clientId !== clientOf(fields)) {
    sendJson(res, 400, {
      error: 'invalid_request',
      error_description: 'the token was not issued to this client',
    });
    return;
  }
  if (family) state.store.revokeFamily(family.id, CLIENT_REVOKED_REASON);
  sendJson(res, 200, {});
}

/** The family of a valid access token (as `authenticate` judges one), else undefined. */
function familyOfAccessToken(state: ServerState, token: string): Family | undefined {
  const claims = authenticate(state, `Bearer ${token}`);
  return claims ? state.store.family(claims.fam) : undefined;
}
