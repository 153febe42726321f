/**
 * The built-in token-endpoint formats: the one list of their names. Each has its preset in
 * `sw/formats/<name>.ts`, listed in `sw/formats/index.ts`.
 */
export const TOKEN_ENDPOINT_FORMATS = ['json', 'oauth2', 'gotrue'] as const;

/** Built-in token endpoint dialects. */
export type TokenEndpointFormat = (typeof TOKEN_ENDPOINT_FORMATS)[number];

/**
 * Worker configuration that survives `postMessage` and IndexedDB: plain data only.
 * The standalone `sw.js` receives it from `registerTokenBroker({ worker })`;
 * `installTokenBroker()` accepts it plus function hooks.
 */
export interface DeclarativeConfig {
  // Every option is validated by sw/config-rules.ts: a wrong type, range or unknown key is `invalid-config`.
  /**
   * The config's version. Raise it whenever you change the config: the standalone worker keeps
   * the highest version it has seen, never lets an older or same-version config weaken it, and
   * changes nothing at the same version while a session is active (`config-conflict`). @default 0
   */
  configVersion?: number;
  /** URL of the refresh endpoint, absolute or relative to the worker's origin. */
  tokenEndpoint: string;
  /** @default 'json' */
  format?: TokenEndpointFormat;
  /** OAuth 2.0 `client_id` sent with the refresh grant. */
  clientId?: string;
  /** OAuth 2.0 `scope` sent with the refresh grant. */
  scope?: string;
  /** Supabase `apikey` header (the anon key). */
  apiKey?: string;
  /** Path prefixes (matched on a `/` boundary, as the server may read the path) whose requests get the bearer token; written in normal form, 1–100 of them. @default ['/api/'] */
  apiPaths?: string[];
  /** Origins besides the worker's own whose API paths get the token, each exactly `scheme://host[:port]`, e.g. `https://api.example.com`. @default [] */
  allowedOrigins?: string[];
  /** Paths under `apiPaths` that never get the token, under any spelling of the path (the token, login and revocation endpoints never do either). @default [] */
  excludePaths?: string[];
  /** Refresh when this many seconds (0–86400), or a quarter of the token's lifetime, remain, whichever is less. @default 30 */
  refreshLeadSeconds?: number;
  /** Timeout of one refresh attempt, 1–60 s: a shorter one abandons rotations the server already made. @default 10 */
  refreshTimeoutSeconds?: number;
  /** How long a request waits for a running refresh before it goes out anyway, 1–60 s. @default 10 */
  requestWaitSeconds?: number;
  /** First and largest delay between failed refresh attempts (jittered, doubling), each 0–300 s. @default { initialSeconds: 0.5, maxSeconds: 30 } */
  backoff?: { initialSeconds?: number; maxSeconds?: number };
  /** Attempts per refresh (1–10) before it reports `refresh-unavailable`. @default 3 */
  maxRefreshAttempts?: number;
  /**
   * Largest request body, in bytes (0–64 MiB), replayed after a 401. The first attempt always
   * sends the body unread, while a copy is measured beside it, reading at most this many bytes
   * (and at most four times this over all bodies being measured at once). A larger body is sent
   * once: its 401 reaches the page marked `body-not-replayed`, after the token was refreshed.
   * 0 replays no body. @default 8388608 (8 MiB)
   */
  maxReplayBodyBytes?: number;
  /** Hand the access token to pages through `getAccessToken()`. @default true */
  revealAccessToken?: boolean;
  /** Leave requests alone that already carry an `Authorization` header. @default true */
  respectExistingAuthorization?: boolean;
  /** Login endpoint whose answers the worker captures, whatever headers the login carries (the page gets them without refresh-token material). */
  loginEndpoint?: string;
  /** Log one line per decision to the worker's console (`console.debug`), never token material. @default false */
  debug?: boolean;
  /** Endpoint called with the refresh token on logout (RFC 7009 form body `token=…`). */
  revocationEndpoint?: string;
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): the worker keeps a non-extractable ES256 key per
   * login and sends a proof with the login, every refresh and every in-scope request
   * (`Authorization: DPoP …`). The server must issue DPoP-bound tokens; `getAccessToken()` then
   * fails `dpop-bound`, as a page cannot use such a token without the worker's key. @default false
   */
  dpop?: boolean;
}
