import { toTokenBrokerError, type TokenBrokerError } from '../shared/errors.js';
import { ERROR_HEADER } from '../shared/protocol.js';
import { Aborted, bounded } from './bounded.js';
import type { Broker } from './broker.js';
import { pathOf } from './debug-log.js';
import { errorResponse } from './error-response.js';
import { answerNonce, bindAttempt } from './dpop-headers.js';
import { ABORTED } from './refresh-policy.js';
import type { StoredSession } from './store.js';
import { routeRequest } from './scope.js';
import type { ResolvedConfig } from './settings.js';
import { captureLogin } from './login-capture.js';
import { keepReplayCopy, type ReplayCopy } from './replay-copy.js';

/**
 * One attempt with the given token: `request` with its body unread, moved into the copy, which
 * keeps every property (referrer and its policy included) and the browser's own body source, so
 * an upload still goes out with Content-Length (docs/platform-facts.md §16).
 */
function withToken(request: Request, token: string | null): Request {
  const copy = new Request(request);
  if (token !== null) copy.headers.set('Authorization', `Bearer ${token}`);
  return copy;
}

/** The server's own response, marked with the broker's reason for passing it on as it is. */
function marked(original: Response, code: string): Response {
  const headers = new Headers(original.headers);
  headers.set(ERROR_HEADER, code);
  return new Response(original.body, { status: original.status, statusText: original.statusText, headers });
}

/** A 401 the broker made up: the request was never sent, because its login has ended. */
const sessionChanged = (): Response =>
  errorResponse(401, 'session-changed', 'the login this request belonged to has ended');

/**
 * The outcome when a 401 could not be cured. A dead or changed session, and a 401 a refresh
 * does not cure, return the server's own 401 (marked); a refresh that may pass becomes a 503
 * with a JSON error body: never a logout.
 */
function failureResponse(original: Response, error: TokenBrokerError): Response {
  if (PASS_THROUGH.has(error.code)) return marked(original, error.code);
  return errorResponse(503, error.code, error.message, error.retryAfter);
}

const PASS_THROUGH: ReadonlySet<string> = new Set([
  'refresh-rejected',
  'no-session',
  'storage-lost',
  'dpop-key-lost',
  'session-changed',
  'unauthorized-after-refresh',
  'refresh-budget-exceeded',
]);

/** Sends one attempt. A network error becomes `Response.error()` (what the page sees anyway), not a rejected respondWith. */
async function send(fetchFn: typeof fetch, request: Request): Promise<Response> {
  try {
    return await fetchFn(request);
  } catch {
    return Response.error();
  }
}

/**
 * Answers a request that reached the worker before its config was loaded: load, apply the
 * routing rule, then capture the login, attach the token, or pass the request through.
 */
export async function forwardWithToken(
  broker: Broker,
  request: Request,
  waitUntil: (p: Promise<unknown>) => void,
  fetchFn: typeof fetch,
): Promise<Response> {
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
  tagged: Request,
  waitUntil: (p: Promise<unknown>) => void,
  fetchFn: typeof fetch,
): Promise<Response> {
  const { request, signal, release } = broker.aborts.track(tagged);
  try {
    return await answerInScope(broker, config, request, signal, waitUntil, fetchFn);
  } finally {
    release();
  }
}

/** `sendWithToken` for a request whose abort signal is known. */
async function answerInScope(
  broker: Broker,
  config: ResolvedConfig,
  request: Request,
  signal: AbortSignal,
  waitUntil: (p: Promise<unknown>) => void,
  fetchFn: typeof fetch,
): Promise<Response> {
  const prepared = await prepareAttempt(broker, request, signal, waitUntil);
  if ('answer' in prepared) return prepared.answer;
  const first = await send(fetchFn, prepared.attempt);
  return cureUnauthorized(broker, config, prepared, first, signal, waitUntil, fetchFn);
}

/** A request ready for its first send, with what its 401 cure needs. */
export interface PreparedAttempt {
  /** The request without its token (its body moves to `attempt`). */
  request: Request;
  /** The copy of its body for a replay; null when it has none or none is kept. */
  copy: ReplayCopy | null;
  /** Whether the request has a body (then a replay needs `copy`). */
  hasBody: boolean;
  /** The session whose token `attempt` carries (null: sent without one). */
  sent: StoredSession | null;
  /** What to send first. */
  attempt: Request;
}

/**
 * The first half of `sendWithToken`, shared with the Workbox plugin: the session to send with
 * (after waiting for a refresh as refresh-policy.ts says), then the first attempt with its
 * token, or the answer to give without sending (aborted, or its login ended meanwhile).
 */
export async function prepareAttempt(
  broker: Broker,
  request: Request,
  signal: AbortSignal,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<PreparedAttempt | { answer: Response }> {
  // The login this request belongs to: it is sent, and replayed, only with that login's tokens.
  const owner = broker.currentSession();
  const sent = await broker.policy.sessionFor({ for: 'request', owner, signal, waitUntil });
  if (sent === ABORTED) return { answer: Response.error() };
  const where = { method: request.method, path: pathOf(request.url) };
  if (owner && sent?.lineage !== owner.lineage) {
    broker.debug('request not sent: its login ended', where);
    return { answer: sessionChanged() };
  }
  // Aborted while waiting: never sent.
  if (signal.aborted) {
    broker.debug('request not sent: aborted', where);
    return { answer: Response.error() };
  }
  broker.debug(sent ? 'request sent with token' : 'request sent without token: no session', {
    ...where,
    generation: sent?.generation,
  });
  // The body is never read before the first send. A request sent without a token has no 401 to
  // cure, and a limit of 0 keeps no copy. (`body` is undefined where the engine has no request
  // streams: then the method tells.)
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  const limit = broker.currentConfig()?.maxReplayBodyBytes ?? 0;
  const copy = hasBody && sent && limit > 0 ? keepReplayCopy(request, limit, broker.replayPool) : null;
  // `dpop`: the DPoP scheme and a proof; a session without its key ends here, unsent.
  const attempt = await bindAttempt(broker, withToken(request, sent?.accessToken ?? null), sent);
  if (attempt instanceof Response) {
    copy?.discard();
    return { answer: attempt };
  }
  return { request, copy, hasBody, sent, attempt };
}

/**
 * The second half, shared with the Workbox plugin: given the first attempt's response, on a
 * 401 refresh once (or not at all if the token already moved on) and replay once. The replay
 * copy is discarded whatever the outcome.
 */
export async function cureUnauthorized(
  broker: Broker,
  config: ResolvedConfig,
  prepared: PreparedAttempt,
  first: Response,
  signal: AbortSignal,
  waitUntil: (p: Promise<unknown>) => void,
  fetchFn: typeof fetch,
): Promise<Response> {
  try {
    return await cure(broker, config, prepared, first, signal, waitUntil, fetchFn);
  } finally {
    prepared.copy?.discard();
  }
}

async function cure(
  broker: Broker,
  config: ResolvedConfig,
  { request, copy, hasBody, sent }: PreparedAttempt,
  answer: Response,
  signal: AbortSignal,
  waitUntil: (p: Promise<unknown>) => void,
  fetchFn: typeof fetch,
): Promise<Response> {
  if (answer.type !== 'error') broker.networkBack();
  const where = { method: request.method, path: pathOf(request.url) };
  // The request to send again: without a body, itself; with one, the replay copy, once (a body
  // can be sent twice in all), after it was measured (a 401 may come before the body was sent whole).
  let copyTaken = false;
  const resendable = async (): Promise<Request | null> => {
    if (!hasBody) return request;
    if (!copy || copyTaken) return null;
    copyTaken = true;
    return bounded(copy.request, config.requestWaitMs, signal).catch(() => null);
  };
  const notReplayed = (response: Response): Response => {
    broker.debug('401 not replayed: body over maxReplayBodyBytes', where);
    return marked(response, 'body-not-replayed');
  };
  // `dpop`: a resource server's nonce demand is sent once more with the nonce, not refreshed.
  const first = await answerNonce(
    broker,
    sent,
    answer,
    request.url,
    (r) => send(fetchFn, r),
    async () => {
      const again = await resendable();
      return again && withToken(again, sent?.accessToken ?? null);
    },
  );
  if (first === null) return signal.aborted ? Response.error() : notReplayed(answer);
  if (first.status !== 401 || !sent) return first;

  let current = broker.currentSession();
  if (current?.lineage !== sent.lineage) return marked(first, current ? 'session-changed' : 'no-session');
  let refreshed = false;
  if (current.accessToken === sent.accessToken) {
    // A 401 for the token we still hold: refresh (joining any running refresh), unless 401s
    // have shown a refresh does not cure them (unauthorized-policy.ts). A body too large to
    // replay still gets the refresh, so the app's own retry succeeds.
    try {
      const refresh = broker.refresh('unauthorized', sent);
      waitUntil(refresh.catch(() => undefined));
      current = await bounded(refresh, config.requestWaitMs, signal);
      refreshed = true;
    } catch (error) {
      if (error instanceof Aborted) return Response.error();
      return failureResponse(first, toTokenBrokerError(error));
    }
    if (current.lineage !== sent.lineage) return marked(first, 'session-changed');
  }
  // Otherwise the 401 is late: the token already rotated, so replay without refreshing.
  // One aborted in flight is not replayed.
  if (signal.aborted) return Response.error();
  const again = await resendable();
  if (signal.aborted) return Response.error();
  if (!again) return notReplayed(first);
  await first.body?.cancel();
  broker.debug(refreshed ? '401 replayed after refresh' : 'late 401 replayed with the current token', {
    ...where,
    generation: current.generation,
  });
  const bound = await bindAttempt(broker, withToken(again, current.accessToken), current);
  if (bound instanceof Response) return bound;
  const replay = await send(fetchFn, bound);
  if (refreshed && replay.status === 401) broker.unauthorized.recordNotCured(current);
  return replay;
}
