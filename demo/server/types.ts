// Public shapes of the demo server. Demo, e2e fixtures and benchmarks code against these, so
// changes here are API changes.

/** Options for {@link startServer}. */
export interface ServerOptions {
  /** TCP port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** Access-token lifetime in seconds; fractional values are allowed. @default 60 */
  accessTtlSeconds?: number;
  /** How long the direct parent of the active refresh token may still be presented. @default 0 */
  reuseGraceSeconds?: number;
  /** Expose the `/__test/*` control surface over HTTP, and the test-only `/api/redirect` route (an open redirect). @default false */
  testControl?: boolean;
  /**
   * The demo page's lab: `/__demo/*` (counters per side and lifetime, timeline facts, the race,
   * fault toggles) and the classic interceptor's `/classic/*` routes. Never on outside the demo. @default false
   */
  demoMode?: boolean;
  /** Directory of the built demo; without it every static request is a 404. */
  staticDir?: string;
  /** File served at `/sw.js` instead of `staticDir/sw.js`; read on every request. */
  swScript?: string;
}

export interface RunningServer {
  /** Origin without a trailing slash, e.g. `http://127.0.0.1:43123`. */
  url: string;
  port: number;
  control: TestControl;
  /** Stops listening and destroys every open socket, including hanging ones. */
  close(): Promise<void>;
}

/** One injected answer to a refresh call; each fault is used by exactly one call. */
export type RefreshFault =
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'hang' }
  | { kind: 'drop' }
  | { kind: 'malformed'; variant: MalformedVariant }
  /** Processed normally (it rotates), but only after `ms`: an overloaded identity provider. */
  | { kind: 'slow'; ms: number }
  /** Rotates normally, but the answer's `expires_in` is replaced by this value (a broken server). */
  | { kind: 'bad-expiry'; expiresIn: unknown };

export type MalformedVariant =
  | 'not-json'
  | 'missing-token'
  | 'empty-token'
  | 'non-string-token'
  | 'header-unsafe'
  | 'negative-expires'
  | 'absurd-expires'
  | 'huge';

export interface RefreshLatency {
  /** Delay before the refresh is processed (before any rotation). */
  beforeMs?: number;
  /** Delay after a rotation, before the answer is written. */
  afterMs?: number;
}

export interface RuntimeConfig {
  accessTtlSeconds?: number;
  reuseGraceSeconds?: number;
}

export interface FamilyCounters {
  generation: number;
  refreshCalls: number;
  rotations: number;
  revoked: boolean;
  reason?: string;
}

export interface RequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  authorization: boolean;
  /** `gen` claim of a bearer token that was valid on arrival, else null. */
  generation: number | null;
  /** Token family (one login) of a bearer token that was valid on arrival, else null. */
  family: string | null;
  /** Status written, or 0 while unanswered and for dropped or hung requests. */
  status: number;
  /** Test route `/api/upload` only: the body as it arrived. */
  body?: UploadRecord;
  /** A CORS preflight's `Access-Control-Request-Headers` (lower case), the headers the browser asks to send; absent on other requests. */
  preflightHeaders?: string;
}

/** A request body as the test route `/api/upload` received it. */
export interface UploadRecord {
  bytes: number;
  /** Hex SHA-256 of the bytes, or null when the request asked for `?hash=0`. */
  sha256: string | null;
  /** The Content-Length header as a number, or null when the body came chunked. */
  contentLength: number | null;
}

export interface Counters {
  refreshCalls: number;
  rotations: number;
  reuseDetections: number;
  graceReuses: number;
  invalidGrants: number;
  unauthorized: number;
  requestsWithAuth: number;
  requestsWithoutAuth: number;
  logins: number;
  revocations: number;
  families: Record<string, FamilyCounters>;
  requests: RequestRecord[];
}

/** In-process view of the state that `/__test/*` exposes over HTTP. */
export interface TestControl {
  counters(): Counters;
  /** Zeroes counters and the request log; sessions are kept. */
  reset(): void;
  injectRefreshFaults(faults: RefreshFault[]): void;
  setRefreshLatency(latency: RefreshLatency): void;
  configure(config: RuntimeConfig): void;
  revokeAll(reason?: string): void;
  setOffline(offline: boolean): void;
}
