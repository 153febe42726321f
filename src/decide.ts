import { toTokenBrokerError } from '../shared/errors.js';
import type { AccessTokenInfo } from '../shared/protocol.js';
import type { PageRoute, WireRequestHead } from '../shared/wire.js';
import { raceAbort } from './abort.js';
import type { TokenSource } from './token-source.js';

/** What the fetch and Axios helpers do with one request. */
/** `worker`: the page is controlled, the worker does the work; `send`: as it is. */
export type Decision =
  | { kind: 'worker' }
  | { kind: 'send' }
  | { kind: 'login' }
  | { kind: 'token'; info: AccessTokenInfo };

const SEND: Decision = { kind: 'send' };

const PASS_REASONS: Record<string, string> = {
  'out-of-scope': 'out of scope',
  'own-authorization': 'it has its own Authorization',
  'not-configured': 'the worker is not configured',
};

/**
 * Decides a request once the client is ready (one decision per request, logged when `debug` is
 * on). A controlled page's requests are left to the worker; an uncontrolled page asks the worker
 * for its rule's decision. Without a worker the request is sent as it is, or, failing closed,
 * refused with the startup error. Rejects with the signal's reason if it aborts meanwhile.
 */
export async function decide(
  source: TokenSource,
  head: WireRequestHead,
  signal: AbortSignal | null | undefined,
  /** The engine sends this request around its worker (a keepalive fetch in Firefox): decide as if uncontrolled. */
  bypassesWorker = false,
): Promise<Decision> {
  const failure = await raceAbort(source.ready(), signal);
  const log = source.log;
  if (source.controlled() && !bypassesWorker) {
    log?.('left to the worker', head, 'page controlled');
    return { kind: 'worker' };
  }
  if (failure) {
    log?.(source.failClosed ? 'refused' : 'skipped', head, `page not controlled, no worker: ${failure.code}`);
    if (source.failClosed) throw failure;
    return SEND;
  }
  const route = await raceAbort(
    source.route(head).then(
      (r): PageRoute | { route: 'error'; code: string } => r,
      (error: unknown) => ({ route: 'error' as const, code: toTokenBrokerError(error).code }),
    ),
    signal,
  );
  if (route.route === 'login') {
    log?.('sent through the login capture', head);
    return { kind: 'login' };
  }
  if (route.route === 'token' && route.token) {
    log?.('attached', head, `generation ${route.token.generation}`);
    return { kind: 'token', info: route.token };
  }
  if (log) {
    const why =
      route.route === 'error'
        ? `the worker did not decide: ${route.code}`
        : route.route === 'token'
          ? 'no session'
          : (PASS_REASONS[route.reason ?? ''] ?? 'the worker left it alone');
    log('skipped', head, why);
  }
  return SEND;
}
