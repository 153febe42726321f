import type { IncomingMessage, ServerResponse } from 'node:http';
import { send, sendJson } from './respond.js';
import { handleLogin, handleRefresh, handleRevoke } from './routes-auth.js';
import {
  handleEcho,
  handleMe,
  handlePing,
  handleForbidden,
  handleRedirect,
  handleSlow,
  handleUpload,
} from './routes-api.js';
import { CLASSIC_PREFIX, demoHeader, sideOf } from './ledger.js';
import { DEMO_PREFIX, handleDemoRoute } from './routes-demo.js';
import { handleTestRoute, TEST_PREFIX } from './routes-test.js';
import type { ServerState } from './state.js';
import { serveStatic } from './static.js';
import { authenticate } from './tokens.js';
import type { RequestRecord, TestControl } from './types.js';

type Handler = (state: ServerState, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const API_ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/api/auth/login': { POST: handleLogin },
  '/api/auth/refresh': { POST: handleRefresh },
  '/api/auth/revoke': { POST: handleRevoke },
  '/api/me': { GET: handleMe },
  '/api/echo': { POST: handleEcho, PUT: handleEcho },
  '/api/slow': { GET: handleSlow, POST: handleSlow },
  '/api/public/ping': { GET: handlePing },
};

/**
 * API routes that exist only while the test control surface is on; without it they are
 * unknown paths (404). `/api/redirect` is an open redirect: never part of the demo proper.
 */
const TEST_ONLY_API_ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/api/redirect': { GET: handleRedirect, POST: handleRedirect, PUT: handleRedirect },
  '/api/forbidden': { GET: handleForbidden },
  '/api/upload': { POST: handleUpload, PUT: handleUpload },
};

/**
 * Demo mode only: the classic in-page interceptor's API, outside the worker's `apiPaths`, so its
 * requests never get the broker's help, served by the same logic (same rotation, same reuse detection).
 */
const CLASSIC_ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  [`${CLASSIC_PREFIX}auth/login`]: { POST: handleLogin },
  [`${CLASSIC_PREFIX}auth/refresh`]: { POST: handleRefresh },
  [`${CLASSIC_PREFIX}me`]: { GET: handleMe },
  [`${CLASSIC_PREFIX}slow`]: { GET: handleSlow },
};

function isApiPath(pathname: string, demoMode: boolean): boolean {
  return (
    pathname === '/api' || pathname.startsWith('/api/') || (demoMode && pathname.startsWith(CLASSIC_PREFIX))
  );
}

/** Token endpoints have their own ledger entries; the rest are the API calls the timeline shows. */
const AUTH_PATH = /^\/(api|classic)\/auth\//;

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return '/';
  }
}

/**
 * Entry for every request. Order matters: the control surface is exempt from "offline" (or it
 * could never be switched back) and from counting (reading counters must not change them);
 * offline requests die before anything is counted; everything else is counted on arrival.
 */
export function createRequestHandler(state: ServerState, control: TestControl) {
  const apiRoutes = {
    ...API_ROUTES,
    ...(state.testControl ? TEST_ONLY_API_ROUTES : {}),
    ...(state.demoMode ? CLASSIC_ROUTES : {}),
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = pathOf(req);
    const isControl = pathname.startsWith(TEST_PREFIX);
    if (isControl && state.testControl) {
      void guard(handleTestRoute(control, req, res, pathname), res, true);
      return;
    }
    // The lab's own surface, like the test control: exempt from the outage it switches on and from counting.
    if (state.demoMode && pathname.startsWith(DEMO_PREFIX)) {
      void guard(handleDemoRoute(state, req, res, pathname), res, true);
      return;
    }
    if (state.offline) {
      req.socket.destroy();
      return;
    }
    record(state, req, res, pathname);
    if (isControl || pathname.startsWith(DEMO_PREFIX)) {
      // Disabled control or lab surface: 404 for every method (static files would say 405 to a POST).
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    if (!isApiPath(pathname, state.demoMode)) {
      void guard(serveStatic(state, req, res, pathname), res, false);
      return;
    }
    const methods = apiRoutes[pathname];
    const handler = methods?.[req.method ?? ''];
    if (!methods) sendJson(res, 404, { error: 'not_found' });
    else if (!handler)
      sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: Object.keys(methods).join(', ') });
    else
      void guard(
        Promise.resolve().then(() => handler(state, req, res)),
        res,
        true,
      );
  };
}

/** Which session (token family) and generation a valid bearer token belonged to on arrival. */
function claimsOf(claims: { gen: number; fam: string } | null): Pick<RequestRecord, 'generation' | 'family'> {
  return { generation: claims?.gen ?? null, family: claims?.fam ?? null };
}

function record(state: ServerState, req: IncomingMessage, res: ServerResponse, path: string): void {
  const header = req.headers.authorization;
  const authorization = header !== undefined;
  state.counters.bump(authorization ? 'requestsWithAuth' : 'requestsWithoutAuth');
  const entry: RequestRecord = {
    method: req.method ?? '',
    path,
    authorization,
    ...claimsOf(authorization ? authenticate(state, header) : null),
    status: 0,
  };
  const asked = req.headers['access-control-request-headers'];
  if (req.method === 'OPTIONS' && asked !== undefined) entry.preflightHeaders = asked.toLowerCase();
  state.counters.logRequest(entry, req);
  const noted = noteRequest(state, req, path);
  res.once('finish', () => {
    entry.status = res.statusCode;
    if (noted) {
      noted.status = res.statusCode;
      noted.doneAt = Date.now();
    }
  });
}

/** Demo mode: an API call for the timeline, with the tab and call ids the page sent. */
function noteRequest(
  state: ServerState,
  req: IncomingMessage,
  path: string,
): { status: number; doneAt: number } | null {
  if (!state.demoMode || !isApiPath(path, true) || AUTH_PATH.test(path)) return null;
  const token = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
  const claims = token === undefined ? null : state.jwt.verify(token);
  return state.ledger.add({
    kind: 'request',
    at: Date.now(),
    side: sideOf(path),
    path,
    tab: demoHeader(req, 'x-demo-tab'),
    call: demoHeader(req, 'x-demo-call'),
    authorization: req.headers.authorization !== undefined,
    token: claims ? { family: claims.fam, generation: claims.gen } : null,
    status: 0,
    doneAt: 0,
  });
}

/** Turns a handler failure into a 500; a client that went away (abort, drop) needs no answer. */
async function guard(work: Promise<void>, res: ServerResponse, json: boolean): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (res.destroyed || res.headersSent) return;
    // Only the error's name and message: handler errors never carry token material.
    console.error(
      'sw-token-broker demo server: internal error:',
      error instanceof Error ? error.message : 'unknown',
    );
    if (json) sendJson(res, 500, { error: 'server_error' });
    else send(res, 500, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Internal error');
  }
}
