import type { AccessTokenInfo } from '../shared/protocol.js';

/** What the Axios and fetch helpers need from the client on a page the worker does not control. */
export interface TokenSource {
  /** Registration, configuration and the claim attempt have finished. */
  readonly ready: Promise<void>;
  controlled(): boolean;
  inScope(url: string): boolean;
  tokenInfo(): Promise<AccessTokenInfo>;
  /** Refreshes through the worker's lock unless the token already moved past `seenGeneration`. */
  recover(seenGeneration: number): Promise<AccessTokenInfo>;
}
