import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { MAX_DELAY_MS } from './faults.js';
import { createJwtSigner } from './jwt.js';
import { send, sendJson } from './respond.js';
import type { ServerState } from './state.js';
import type { MalformedVariant, RefreshFault } from './types.js';

/**
 * Answers a refresh call with an injected fault. Faulted calls never rotate, so the token the
 * client presented stays valid. Tokens inside malformed answers look real but are signed with a
 * throwaway key and never registered: a client that accepts them gets 401s, which tests can see.
 */
export function answerWithFault(state: ServerState, res: ServerResponse, fault: RefreshFault): void {
  switch (fault.kind) {
    case 'drop':
      res.socket?.destroy();
      return;
    case 'hang':
      // Bounded: the socket dies after the cap, or at once when the server closes.
      void state.lifetime.sleep(MAX_DELAY_MS).then(() => res.socket?.destroy());
      return;
    case 'status': {
      const error = errorCodeFor(fault.status);
      if (error === 'invalid_grant') state.counters.bump('invalidGrants');
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined
          ? {}
          : { 'Retry-After': String(Math.ceil(fault.retryAfterSeconds)) };
      sendJson(res, fault.status, { error, error_description: 'injected fault' }, headers);
      return;
    }
    case 'malformed':
      answerMalformed(state, res, fault.variant);
      return;
  }
}

/** What a real authorization server would most plausibly say with this status. */
function errorCodeFor(status: number): string {
  if (status === 400 || status === 401 || status === 403) return 'invalid_grant';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  return 'injected_fault';
}

function answerMalformed(state: ServerState, res: ServerResponse, variant: MalformedVariant): void {
  if (variant === 'not-json') {
    // Claims to be JSON so that only a client that really parses the body notices.
    send(res, 200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, '<html>not json {');
    return;
  }
  const ttl = state.config.accessTtlSeconds;
  // No refresh_token: a faulted answer never rotates, and a 2xx carrying a new refresh token means
  // the server did rotate, so a client must keep that token whatever else is wrong with the answer
  // (the `bad-expiry` fault is that case).
  const good = { access_token: fakeAccessToken(ttl), expires_in: ttl, token_type: 'Bearer' };
  sendJson(res, 200, malformedBody(variant, good));
}

function malformedBody(
  variant: Exclude<MalformedVariant, 'not-json'>,
  good: Record<string, unknown>,
): unknown {
  switch (variant) {
    case 'missing-token': {
      const { access_token: _omitted, ...rest } = good;
      return rest;
    }
    case 'empty-token':
      return { ...good, access_token: '' };
    case 'non-string-token':
      return { ...good, access_token: 123 };
    case 'header-unsafe':
      return { ...good, access_token: `${String(good.access_token)}\r\nX-Injected: 1` };
    case 'negative-expires':
      return { ...good, expires_in: -60 };
    case 'absurd-expires':
      return { ...good, expires_in: 1e15 };
    case 'huge':
      // ~2 MB in an extra member: the JSON is valid and the token fields look normal.
      return { ...good, padding: 'x'.repeat(2 * 1024 * 1024) };
  }
}

function fakeAccessToken(ttl: number): string {
  const iat = Date.now() / 1000;
  return createJwtSigner().sign({
    sub: 'demo',
    fam: 'fam_fake',
    gen: 0,
    iat,
    exp: iat + ttl,
    jti: randomUUID(),
  });
}
