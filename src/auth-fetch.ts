import { ERROR_HEADER, REQUEST_ID_HEADER } from '../shared/protocol.js';
import { raceAbort } from './abort.js';
import { decide } from './decide.js';
import { watchHandOver } from './handover-resend.js';
import type { TokenSource } from './token-source.js';

/** Sends `request` through the worker's login capture and rebuilds the answer as a `Response`. */
export async function loginThroughWorker(source: TokenSource, request: Request): Promise<Response> {
  const body = request.body && (await request.arrayBuffer());
  const wire = { method: request.method, url: request.url, headers: [...request.headers], body };
  const reply = await raceAbort(source.captureLogin(wire), request.signal);
  return new Response(reply.body, {
    status: reply.status,
    statusText: reply.statusText,
    headers: reply.headers,
  });
}

/**
 * Controlled page: the worker does the work, but cannot see the page abort a request it holds
 * (Chromium does not abort the FetchEvent's `request.signal`). A same-origin request with a
 * signal is tagged with an id, and its abort is announced to the worker.
 */
function tagForAbort(request: Request, source: TokenSource): Request {
  if (new URL(request.url).origin !== location.origin) return request;
  const id = crypto.randomUUID();
  const headers = new Headers(request.headers);
  headers.set(REQUEST_ID_HEADER, id);
  request.signal.addEventListener('abort', () => source.abort(id), { once: true });
  return new Request(request, { headers });
}

/** Controlled page: the worker attaches the token; a hand-over's 401 may go once more (handover-resend.ts). */
async function throughWorker(request: Request): Promise<Response> {
  const aroundWorkers = watchHandOver();
  const response = await fetch(request);
  if (request.body !== null || !aroundWorkers(response.status, response.headers.has(ERROR_HEADER)))
    return response;
  await response.body?.cancel();
  return fetch(request);
}

/**
 * Whether this engine sends a page's `keepalive` fetch around its service worker: Firefox does
 * when `keepalive` is in `fetch()`'s init, so the request leaves without the token
 * (docs/platform-facts.md §14). Detected by engine: no feature shows it.
 */
export function keepaliveBypassesWorker(): boolean {
  return /\bFirefox\/\d/.test(globalThis.navigator?.userAgent ?? '');
}

/** Sends `request` with `headers` and `body` as a keepalive fetch: the init form such an engine keeps alive. */
function sendKeepalive(request: Request, headers: Headers, body: ArrayBuffer | null): Promise<Response> {
  return fetch(request.url, {
    method: request.method,
    headers,
    body,
    keepalive: true,
    credentials: request.credentials,
    mode: request.mode,
    cache: request.cache,
    redirect: request.redirect,
    referrer: request.referrer,
    referrerPolicy: request.referrerPolicy,
    integrity: request.integrity,
    signal: request.signal,
  });
}

/**
 * A `fetch` that waits (bounded) for the client to be ready, then: controlled page, plain
 * `fetch` (the worker does the work; a request without a body that a worker hand-over sent
 * around both workers goes once more, see `watchHandOver`). Uncontrolled: the worker decides with the rule it applies
 * to requests it sees (scope, exclusions, an existing `Authorization`, login capture); then this
 * attaches the token and, on a 401, refreshes through the worker's lock and replays once with
 * the buffered body, or sends a login through the worker's capture. An abort is honoured at
 * every wait. A `keepalive` request in an engine that sends those around the worker
 * ({@link keepaliveBypassesWorker}) is decided like one of an uncontrolled page, and sent as a
 * keepalive fetch with the token attached here.
 */
export function createAuthFetch(source: TokenSource): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const head = { method: request.method, url: request.url, headers: [...request.headers] };
    const bypass = request.keepalive && keepaliveBypassesWorker();
    const decision = await decide(source, head, request.signal, bypass);
    if (decision.kind === 'worker')
      return throughWorker(
        init?.signal || (input instanceof Request && input.signal) ? tagForAbort(request, source) : request,
      );
    if (decision.kind === 'login') return loginThroughWorker(source, request);
    if (decision.kind === 'send' && !bypass) return fetch(request);
    // Buffered so the 401 replay sends the same bytes again; GET and HEAD have no body (null).
    const body = request.body && (await request.arrayBuffer());
    if (decision.kind === 'send') return sendKeepalive(request, request.headers, body);
    const info = decision.info;
    const send = (token: string): Promise<Response> => {
      const headers = new Headers(request.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return bypass ? sendKeepalive(request, headers, body) : fetch(new Request(request, { headers, body }));
    };
    const response = await send(info.accessToken);
    if (response.status !== 401) return response;
    const next = await raceAbort(
      source.recover(info).catch(() => null),
      request.signal,
    ).catch(async (reason: unknown) => {
      await response.body?.cancel();
      throw reason;
    });
    source.log?.(next ? '401 cured, replayed' : '401 not cured', head);
    if (!next) return response;
    await response.body?.cancel();
    return send(next.accessToken);
  };
}
