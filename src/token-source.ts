import { TokenBrokerError } from '../shared/errors.js';
import type { AccessTokenInfo } from '../shared/protocol.js';
import type { PageRoute, WireRequest, WireRequestHead, WireResponse } from '../shared/wire.js';
import type { PageLog } from './debug.js';
import type { BrokerMethod } from '../shared/protocol.js';
import type { Args, callWorker } from './transport.js';

/** One call to the worker, as the client sends it. */
export type Send = <M extends BrokerMethod>(method: M, ...args: Args<M>) => ReturnType<typeof callWorker<M>>;

/**
 * What the Axios and fetch helpers need from the client. The client exists before its worker
 * is ready; the helpers wait for `ready()` (bounded) before they decide, so a request the app
 * sends in its first line is decided like any later one.
 */
export interface TokenSource {
  /** Settles once startup has (or after a bound): null, or why no worker can be asked. Never rejects. */
  ready(): Promise<TokenBrokerError | null>;
  controlled(): boolean;
  /** Refuse requests rather than send them without a worker (`requireWorker`). @default false */
  failClosed?: boolean;
  /** The debug log, when `debug` is on. */
  log?: PageLog | undefined;
  /**
   * The worker's `getAccessToken` answer. With `dpop` on it rejects `dpop-bound`: the token is
   * bound to the worker's DPoP key, so a page could not use it; its requests go through the worker.
   */
  tokenInfo(): Promise<AccessTokenInfo>;
  /** Tells the worker the page aborted the request it tagged with this id. */
  abort(id: string): void;
  /** The worker's decision for this request (its own routing rule), with the token to attach (none with `dpop`). */
  route(request: WireRequestHead): Promise<PageRoute>;
  /** Sends a login request through the worker's login capture; the answer holds no refresh token. */
  captureLogin(request: WireRequest): Promise<WireResponse>;
  /**
   * Refreshes through the worker's lock unless the token already moved past the one seen, and
   * returns the current token of the same login; rejects `session-changed` if that login ended.
   */
  recover(seen: Pick<AccessTokenInfo, 'generation' | 'session'>): Promise<AccessTokenInfo>;
}

/** The client's {@link TokenSource}: every question goes to the worker through `now`. */
export function createTokenSource(
  now: Send,
  page: Pick<TokenSource, 'ready' | 'controlled' | 'failClosed' | 'log'>,
): TokenSource {
  return {
    ...page,
    tokenInfo: () => now('getAccessToken', {}),
    abort: (id) => void now('abort', id).catch(() => undefined),
    route: (request) => now('route', request),
    captureLogin: (request) => now('captureLogin', request),
    // Passing the token the caller saw makes a retried call harmless (it cannot refresh twice), and
    // keeps a request of an ended login from getting the next login's token.
    recover: async (seen) => {
      await now('refresh', {
        trigger: 'unauthorized',
        seenGeneration: seen.generation,
        seenSession: seen.session,
      });
      const info = await now('getAccessToken', {});
      if (info.session !== seen.session)
        throw new TokenBrokerError('session-changed', 'the login this request belonged to has ended');
      return info;
    },
  };
}
