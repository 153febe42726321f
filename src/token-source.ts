import type { TokenBrokerError } from '../shared/errors.js';
import type { AccessTokenInfo } from '../shared/protocol.js';
import type { PageRoute, WireRequest, WireRequestHead, WireResponse } from '../shared/wire.js';
import type { PageLog } from './debug.js';

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
