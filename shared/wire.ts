import type { AccessTokenInfo, Result } from './protocol.js';

/**
 * Version of the page↔worker protocol. It rides in every envelope and is what `hello`
 * answers, so a page can tell a broker it can talk to from a foreign or older worker.
 */
export const PROTOCOL_VERSION = 2;

/**
 * How long the first call to a worker waits for `hello` before calling it foreign: a broker
 * answers a cold start in 20–100 ms (docs/platform-facts.md §3), and registration plus this
 * window stay under the 1 s in which a foreign worker must fail.
 */
export const HANDSHAKE_TIMEOUT_MS = 600;

/** What `hello` answers. */
export interface Hello {
  protocol: number;
}

/** A request as a page describes it to the worker for a decision (no body needed for that). */
export interface WireRequestHead {
  method: string;
  url: string;
  headers: Array<[string, string]>;
}

/** A whole request, for the worker to send on the page's behalf (login capture). */
export interface WireRequest extends WireRequestHead {
  body: ArrayBuffer | null;
}

export interface WireResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: ArrayBuffer | null;
}

/** Why the worker leaves a request alone (for the page's debug lines; absent from older workers). */
export type PassReason = 'out-of-scope' | 'own-authorization' | 'not-configured';

/**
 * The worker's decision for a request it cannot see (an uncontrolled page), made by the
 * same rule it applies to the requests it intercepts: send it as it is, capture it as a
 * login (through `captureLogin`), or attach `token` (null when there is none to attach).
 */
export type PageRoute =
  | { route: 'pass'; reason?: PassReason }
  | { route: 'login' }
  | { route: 'token'; token: AccessTokenInfo | null };

/** The calls added with protocol version 2; `BrokerApi` extends this. */
export interface WireApi {
  /** Answers at once, before any storage is read: the version handshake. */
  hello(): Promise<Result<Hello>>;
  /** Decides what a page does with a request the worker does not see. */
  route(request: WireRequestHead): Promise<Result<PageRoute>>;
  /** Sends a login request from an uncontrolled page through the worker's login capture. */
  captureLogin(request: WireRequest): Promise<Result<WireResponse>>;
}
