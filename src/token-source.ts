import type { AccessTokenInfo } from '../shared/protocol.js';

/**
 * What the Axios and fetch helpers need from the client on a page the worker does not control.
 * The client exists only once registration, configuration and the claim attempt have finished,
 * so a request through these helpers can never leave before that readiness gate.
 */
export interface TokenSource {
  controlled(): boolean;
  inScope(url: string): boolean;
  tokenInfo(): Promise<AccessTokenInfo>;
  /** Tells the worker the page aborted the request it tagged with this id. */
  abort(id: string): void;
  /** Refreshes through the worker's lock unless the token already moved past `seenGeneration`. */
  recover(seenGeneration: number): Promise<AccessTokenInfo>;
}
