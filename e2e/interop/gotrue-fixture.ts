// A stand-in for Supabase Auth (GoTrue) behind Supabase's API gateway, following the documented
// wire format of `POST /auth/v1/token?grant_type=refresh_token` and the behaviour of
// supabase/auth internal/api/token_refresh.go: rotation; the same child again for a retried
// parent (a lost answer); family revocation on any other reuse (the strictest reuse interval,
// 0 s: Supabase's hosted default of 10 s would forgive a quick duplicate and hide it); the error
// bodies `{code, error_code, msg}`, or `{code, message}` for clients that send
// `X-Supabase-Api-Version: 2024-01-01`. Also a PostgREST-like `/rest/v1/` that accepts only
// valid user JWTs. It counts everything it saw.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { jwtVerify, SignJWT } from 'jose';
import { WebSocketServer } from 'ws';
import type { DeclarativeConfig } from '../../src/index.js';
import { listenOnLoopback } from './listen.js';

export interface GoTrueFixtureOptions {
  /** The anon key every request must carry in `apikey` (the gateway checks it). @default 'anon-key' */
  apiKey?: string;
  /** `expires_in` of access tokens. @default 3600 */
  accessTtlSeconds?: number;
}

/** One call to the token endpoint as the fixture saw it. */
export interface TokenCall {
  at: number;
  grantType: string | null;
  apikey: string | null;
  contentType: string | null;
  /** The refresh token the body carried (refresh grants). */
  refreshToken: string | null;
  /** 0 while the answer is being prepared. */
  status: number;
  /** The error body's `error_code` / `code`, for errors. */
  errorCode?: string;
}

/** One Realtime message that carried an access token (a channel join or an `access_token` push). */
export interface RealtimeAuth {
  event: 'phx_join' | 'access_token';
  topic: string;
  /** `sub` of a user token that verified, or `anon` for the anon key, or why it did not verify. */
  subject: string;
  /** The token's `gen` claim (which token of the fixture it is), 0 for the anon key. */
  generation: number;
}

export interface RestCall {
  path: string;
  status: number;
  apikey: string | null;
  /** `sub` of a user token that verified, or why it did not. */
  subject?: string;
  reason?: string;
}

interface RefreshRow {
  token: string;
  sessionId: string;
  parent: string | null;
  revoked: boolean;
}

export interface GoTrueFixture {
  url: string;
  apiKey: string;
  tokenCalls: TokenCall[];
  /** Calls to `/rest/v1/`, `/storage/v1/` and `/functions/v1/`, in order. */
  restCalls: RestCall[];
  /** Tokens Realtime clients presented on `/realtime/v1/websocket`. */
  realtimeAuths: RealtimeAuth[];
  /** Session ids ended by `POST /auth/v1/logout`. */
  logouts: string[];
  /** Revoked refresh tokens presented again (within the interval or not). */
  reuses: string[];
  /** Refresh tokens still usable: one per live session. */
  activeRefreshTokens(): string[];
  /** Makes `/rest/v1/` refuse every access token issued so far (as if they had expired). */
  expireAccessTokens(): void;
  /** Deletes every session, as `signOut({ scope: 'global' })` or an admin would. */
  signOutEverywhere(): void;
  close(): Promise<void>;
}

/** The README's Supabase recipe, pointed at the fixture. */
export function supabaseWorkerConfig(gotrue: Pick<GoTrueFixture, 'url' | 'apiKey'>): DeclarativeConfig {
  return {
    tokenEndpoint: `${gotrue.url}/auth/v1/token`,
    format: 'gotrue',
    apiKey: gotrue.apiKey,
    allowedOrigins: [gotrue.url],
    apiPaths: ['/rest/v1/', '/storage/v1/', '/functions/v1/'],
    respectExistingAuthorization: false,
  };
}

export const GOTRUE_EMAIL = 'user@example.com';
export const GOTRUE_PASSWORD = 'correct horse';

// Supabase's gateway answers CORS for any origin and allows whatever headers a preflight asks for
// (supabase-js sends accept-profile, content-profile, prefer, x-retry-count, x-upsert, ...).
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers':
    'authorization, x-client-info, apikey, content-type, x-supabase-api-version',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Expose-Headers': 'content-range, x-supabase-api-version',
};

/** The preflight answer: the gateway's CORS headers, allowing the headers the browser asked about. */
function preflight(req: IncomingMessage): Record<string, string> {
  const asked = req.headers['access-control-request-headers'];
  return {
    ...CORS,
    ...(asked ? { 'Access-Control-Allow-Headers': asked } : {}),
    'Access-Control-Max-Age': '0',
  };
}

export async function startGoTrueFixture(options: GoTrueFixtureOptions = {}): Promise<GoTrueFixture> {
  const apiKey = options.apiKey ?? 'anon-key';
  const ttl = options.accessTtlSeconds ?? 3600;
  const secret = randomBytes(32);
  const rows = new Map<string, RefreshRow>();
  const sessions = new Set<string>();
  const tokenCalls: TokenCall[] = [];
  const restCalls: RestCall[] = [];
  const realtimeAuths: RealtimeAuth[] = [];
  const logouts: string[] = [];
  const reuses: string[] = [];
  let issued = 0;
  let minGeneration = 0;
  const user = {
    id: '8d0fd2b3-9ca5-4a5e-8b29-1a2b3c4d5e6f',
    aud: 'authenticated',
    role: 'authenticated',
    email: GOTRUE_EMAIL,
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...CORS }).end(JSON.stringify(body));
  };

  /** GoTrue's HTTPError, in the shape the request's API version asks for. */
  const errorBody = (req: IncomingMessage, status: number, code: string, msg: string): unknown =>
    (req.headers['x-supabase-api-version'] ?? '') >= '2024-01-01'
      ? { code, message: msg }
      : { code: status, error_code: code, msg };

  const newRefreshToken = (sessionId: string, parent: string | null): string => {
    const token = randomBytes(9).toString('base64url');
    rows.set(token, { token, sessionId, parent, revoked: false });
    return token;
  };

  async function sessionResponse(sessionId: string, refreshToken: string): Promise<unknown> {
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({
      role: 'authenticated',
      session_id: sessionId,
      email: user.email,
      gen: ++issued,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setAudience('authenticated')
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(secret);
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: ttl,
      expires_at: now + ttl,
      refresh_token: refreshToken,
      user,
    };
  }

  /** internal/api/token_refresh.go, minus the database. */
  async function refreshGrant(req: IncomingMessage, token: string): Promise<[number, unknown]> {
    const row = rows.get(token);
    if (!row || !sessions.has(row.sessionId))
      return [
        400,
        errorBody(req, 400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'),
      ];
    if (row.revoked) {
      reuses.push(token);
      const active = [...rows.values()].find((r) => r.sessionId === row.sessionId && !r.revoked);
      // The parent of the active token: the client lost the answer, so it gets the same child again.
      if (active?.parent === token) return [200, await sessionResponse(row.sessionId, active.token)];
      for (const r of rows.values()) if (r.sessionId === row.sessionId) r.revoked = true; // revoke the token family
      return [400, errorBody(req, 400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used')];
    }
    row.revoked = true;
    return [200, await sessionResponse(row.sessionId, newRefreshToken(row.sessionId, token))];
  }

  const drain = (req: IncomingMessage): Promise<void> =>
    new Promise((resolve) => {
      req.once('end', resolve).resume();
    });

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  async function token(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const grantType = url.searchParams.get('grant_type');
    const body = await readJson(req);
    const call: TokenCall = {
      at: Date.now(),
      grantType,
      apikey: req.headers.apikey?.toString() ?? null,
      contentType: req.headers['content-type'] ?? null,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : null,
      status: 0,
    };
    tokenCalls.push(call);
    let status: number;
    let answer: unknown;
    if (call.apikey !== apiKey) {
      // The gateway (Kong), before GoTrue: not a GoTrue error body.
      [status, answer] = [
        401,
        { message: call.apikey === null ? 'No API key found in request' : 'Invalid API key' },
      ];
    } else if (grantType === 'password') {
      if (body.email !== GOTRUE_EMAIL || body.password !== GOTRUE_PASSWORD) {
        [status, answer] = [400, errorBody(req, 400, 'invalid_credentials', 'Invalid login credentials')];
      } else {
        const sessionId = randomBytes(8).toString('hex');
        sessions.add(sessionId);
        [status, answer] = [200, await sessionResponse(sessionId, newRefreshToken(sessionId, null))];
      }
    } else if (grantType === 'refresh_token') {
      [status, answer] = call.refreshToken
        ? await refreshGrant(req, call.refreshToken)
        : [400, errorBody(req, 400, 'validation_failed', 'refresh_token required')];
    } else {
      [status, answer] = [400, errorBody(req, 400, 'validation_failed', 'unsupported_grant_type')];
    }
    call.status = status;
    const a = answer as { error_code?: string; code?: unknown };
    if (status !== 200) call.errorCode = a.error_code ?? (typeof a.code === 'string' ? a.code : undefined);
    send(res, status, answer);
  }

  /** The user token's `sub` and `gen`, or throws why it is not one. */
  async function verifyUser(token: string | undefined): Promise<{ sub: string; gen: number }> {
    if (token === apiKey) throw new Error('anon key, not a user token');
    const { payload } = await jwtVerify(token ?? '', secret, { audience: 'authenticated' });
    if (typeof payload.gen !== 'number' || payload.gen <= minGeneration) throw new Error('JWT expired');
    return { sub: String(payload.sub), gen: payload.gen };
  }

  /** What PostgREST, Storage and an Edge Function answer a verified user (the body is drained). */
  const dataAnswer = (path: string, sub: string): unknown => {
    if (path.startsWith('/storage/v1/object/')) {
      const key = path.slice('/storage/v1/object/'.length);
      return { Key: key, Id: randomBytes(8).toString('hex') };
    }
    if (path.startsWith('/functions/v1/')) return { hello: sub };
    return [{ id: 1, owner: sub }];
  };

  async function rest(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const apikey = req.headers.apikey?.toString() ?? null;
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const call: RestCall = { path, status: 401, apikey };
    restCalls.push(call);
    await drain(req); // an upload's body
    if (apikey !== apiKey) return send(res, 401, { message: 'No API key found in request' });
    try {
      const { sub } = await verifyUser(bearer);
      call.subject = sub;
      call.status = 200;
      return send(res, 200, dataAnswer(path, sub));
    } catch (error) {
      call.reason = String((error as Error).message);
      return send(res, 401, { code: 'PGRST301', message: call.reason });
    }
  }

  /** `POST /auth/v1/logout` (scope local): the access token's session ends, its refresh tokens die. */
  async function logout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await drain(req);
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    try {
      const { payload } = await jwtVerify(bearer ?? '', secret, { audience: 'authenticated' });
      logouts.push(String(payload.session_id));
      sessions.delete(String(payload.session_id));
      res.writeHead(204, CORS).end();
    } catch {
      send(res, 401, { code: 401, error_code: 'bad_jwt', msg: 'invalid JWT' });
    }
  }

  /** Phoenix over JSON arrays (Realtime `vsn=2.0.0`): joins and heartbeats answered, tokens recorded. */
  function realtime(socket: import('ws').WebSocket): void {
    socket.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if (!Array.isArray(message)) return;
      const [joinRef, ref, topic, event, payload] = message as [
        string | null,
        string | null,
        string,
        string,
        Record<string, unknown> | null,
      ];
      const reply = (response: unknown): void =>
        socket.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status: 'ok', response }]));
      if (event === 'phx_join' || event === 'access_token') {
        const token = typeof payload?.access_token === 'string' ? payload.access_token : undefined;
        void verifyUser(token).then(
          ({ sub, gen }) => realtimeAuths.push({ event, topic, subject: sub, generation: gen }),
          (error: unknown) =>
            realtimeAuths.push({
              event,
              topic,
              subject: token === apiKey ? 'anon' : String((error as Error).message),
              generation: 0,
            }),
        );
        if (event === 'phx_join') reply({ postgres_changes: [] });
      } else if (event === 'heartbeat' || event === 'phx_leave') reply({});
    });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gotrue.invalid');
    if (req.method === 'OPTIONS') {
      res.writeHead(200, preflight(req)).end();
      return;
    }
    const handle = async (): Promise<void> => {
      if (req.method === 'POST' && url.pathname === '/auth/v1/token') return token(req, res, url);
      if (req.method === 'POST' && url.pathname === '/auth/v1/logout') return logout(req, res);
      if (['/rest/v1/', '/storage/v1/', '/functions/v1/'].some((p) => url.pathname.startsWith(p)))
        return rest(req, res, url.pathname);
      return send(res, 404, { code: 404, error_code: 'not_found', msg: 'Not found' });
    };
    handle().catch((error: unknown) =>
      send(res, 500, { code: 500, error_code: 'unexpected_failure', msg: String(error) }),
    );
  });
  // Realtime's websocket, on the same origin as the gateway puts it.
  const sockets = new WebSocketServer({ noServer: true });
  sockets.on('connection', realtime);
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://gotrue.invalid');
    if (url.pathname !== '/realtime/v1/websocket' || url.searchParams.get('apikey') !== apiKey) {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req));
  });
  const listening = await listenOnLoopback(server);

  return {
    url: listening.url,
    apiKey,
    tokenCalls,
    restCalls,
    realtimeAuths,
    logouts,
    reuses,
    activeRefreshTokens: () =>
      [...rows.values()].filter((r) => sessions.has(r.sessionId) && !r.revoked).map((r) => r.token),
    expireAccessTokens: () => {
      minGeneration = issued;
    },
    signOutEverywhere: () => sessions.clear(),
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await listening.close();
    },
  };
}
