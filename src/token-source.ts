import type { AccessTokenInfo } from '../shared/protocol.js';
import type { PageRoute, WireRequest, WireRequestHead, WireResponse } from '../shared/wire.js';

/**
 * What the Axios and fetch helpers need from the client on a page the worker does not control.
 * The client exists only once registration, configuration and the claim attempt have finished,
 * so a request through these helpers can never leave before that readiness gate.
 */
export interface TokenSource {
  controlled(): boolean;
  tokenInfo(): Promise<AccessTokenInfo>;
  /** Tells the worker the page aborted the request it tagged with this id. */
  abort(id: string): void;
  /** The worker's decision for this request (its own routing rule), with the token to attach. */
  route(request: WireRequestHead): Promise<PageRoute>;
  /** Sends a login request through the worker's login capture; the answer holds no refresh token. */
  captureLogin(request: WireRequest): Promise<WireResponse>;
  /**
   * Refreshes through the worker's lock unless the token already moved past the one seen, and
   * returns the current token of the same login; rejects `session-changed` if that login ended.
   */
  recover(seen: Pick<AccessTokenInfo, 'generation' | 'session'>): Promise<AccessTokenInfo>;
}

/** What a helper does when the worker cannot be asked: send the request as it is. */
export const PASS: PageRoute = { route: 'pass' };
