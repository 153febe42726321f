import { TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import { ERROR_HEADER } from '../shared/protocol.js';
import type { Broker } from './broker.js';
import { routeRequest } from './scope.js';
import type { ResolvedConfig } from './settings.js';
import { captureLogin } from './login-capture.js';

/** Builds one attempt: the original request with its buffered body and the given token. */
function withToken(request: Request, body: ArrayBuffer | undefined, token: string | null): Request {
  if (body === undefined) {
    // No body: a plain copy keeps every property (referrer and its policy included) and is the
    // cheapest way to a request whose headers may be changed (the hot path of every GET).
    const copy = new Request(request);
    if (token !== null) copy.headers.set('Authorization', `Bearer ${token}`);
    return copy;
  }
  const headers = new Headers(request.headers);
  if (token !== null) headers.set('Authorization', `Bearer ${token}`);
  // `new Request(request, init)` keeps method, credentials, redirect, keepalive, cache,
  // integrity, mode and signal; the body comes from our buffer because a body stream can be
  // read only once (PITFALLS §6). A non-empty init resets referrer and referrer policy
  // (Fetch spec, Request constructor step "if init is not empty"), so copy them explicitly.
  return new Request(request, { headers, body, referrer: request.referrer, referrerPolicy: request.referrerPolicy });
}

/** Settles with `promise`, or rejects after `ms` (the promise keeps running). */
export function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TokenBrokerError('refresh-unavailable', 'timed out waiting for the refresh')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The outcome when a 401 could not be cured. A dead session returns the server's own
 * 401; a refresh that may pass becomes a 503 with a JSON error body: never a logout.
 */
function failureResponse(original: Response, error: TokenBrokerError): Response {
  if (error.code === 'refresh-rejected' || error.code === 'no-session') {
    const headers = new Headers(original.headers);
    headers.set(ERROR_HEADER, error.code);
    return new Response(original.body, { status: original.status, statusText: original.statusText, headers });
  }
  const headers = new Headers({ 'Content-Type': 'application/json', [ERROR_HEADER]: error.code, 'Cache-Control': 'no-store' });
  if (error.retryAfter !== undefined) headers.set('Retry-After', String(Math.ceil(error.retryAfter)));
  return new Response(JSON.stringify({ error: error.code, message: error.message }), { status: 503, headers });
}

/**
 * Answers a request that reached the worker before its config was loaded: load, apply the
 * routing rule, then capture the login, attach the token, or pass the request through.
 */
export async function forwardWithToken(broker: Broker, request: Request, waitUntil: (p: Promise<unknown>) => void, fetchFn: typeof fetch): Promise<Response> {
  await broker.ready();
  const config = broker.currentConfig();
  const route = config ? routeRequest(request, config) : 'pass';
  if (route === 'login') return captureLogin(broker, request, fetchFn);
  if (route === 'pass' || !config) return fetchFn(request);
  return sendWithToken(broker, config, request, waitUntil, fetchFn);
}

/**
 * Answers one in-scope request: wait for a running or overdue refresh (bounded), send with
 * the current token, and on a 401 refresh once (or not at all if the token already moved
 * on) and replay once.
 */
export async function sendWithToken(
  broker: Broker,
  config: ResolvedConfig,
  request: Request,
  waitUntil: (p: Promise<unknown>) => void,
  fetchFn: typeof fetch,
): Promise<Response> {
  const running = broker.coordinator.running;
  const due = broker.dueIn();
  // Every refresh this request waits for is also held by its event: the request may stop
  // waiting, but the worker must stay alive until the rotated token is stored (PITFALLS §1).
  if (running) {
    waitUntil(running.catch(() => undefined));
    await bounded(running, config.requestWaitMs).catch(() => undefined);
  } else if (due !== null && due <= 0) {
    const refresh = broker.refresh('proactive');
    waitUntil(refresh.catch(() => undefined));
    const expiresIn = broker.status().expiresIn;
    if (expiresIn !== null && expiresIn <= 0) await bounded(refresh, config.requestWaitMs).catch(() => undefined);
  }

  const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
  const sent = broker.currentSession();
  const first = await fetchFn(withToken(request, body, sent?.accessToken ?? null));
  if (first.status !== 401 || !sent) return first;

  let current = broker.currentSession();
  if (!current) return failureResponse(first, new TokenBrokerError('no-session', 'the session ended'));
  if (current.accessToken === sent.accessToken) {
    // A 401 for the token we still hold: refresh (joining any running refresh).
    try {
      const refresh = broker.refresh('unauthorized', sent.generation);
      waitUntil(refresh.catch(() => undefined));
      current = await bounded(refresh, config.requestWaitMs);
    } catch (error) {
      return failureResponse(first, toTokenBrokerError(error));
    }
  }
  // Otherwise the 401 is late: the token already rotated, so replay without refreshing.
  await first.body?.cancel();
  return fetchFn(withToken(request, body, current.accessToken));
}
