import type { SerializedError } from './errors.js';
import type { DeclarativeConfig } from './config.js';
import type { SessionIdentity } from './identity.js';
import { DEFAULT_BROKER_NAME } from './names.js';
import type { WireApi } from './wire.js';

/** What crosses the worker boundary: a value or a serialized error, never a throw. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** Why a refresh ran. */
export type RefreshTrigger = 'proactive' | 'unauthorized' | 'explicit';

/** Why a session ended. */
export type LogoutReason =
  | 'user-logout'
  | 'refresh-rejected'
  /** The stored session was deleted, cleared or corrupted outside the broker (storage cleared, quota eviction). */
  | 'storage-lost'
  /** `dpop` is on and the session's DPoP key is missing: its tokens cannot be used (nothing was sent). */
  | 'dpop-key-lost';

/** Tokens a page hands over after its own login. The worker keeps the refresh token to itself. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives, counted from now. Defaults to the JWT `exp` claim. */
  expiresIn?: number;
}

/** What a page may know about the session. Holds no token material. */
export interface BrokerStatus {
  loggedIn: boolean;
  /** Increments with every stored token set; 0 when logged out. */
  generation: number;
  /** Milliseconds until the access token expires (clock independent), or null. */
  expiresIn: number | null;
  /** Milliseconds until the broker refreshes proactively, or null. */
  refreshDueIn: number | null;
  lastRefresh: { trigger: RefreshTrigger; agoMs: number } | null;
  configured: boolean;
  /** Changes whenever the browser restarted the worker. */
  workerInstance: string;
  /** Who is logged in: `sub` and the exposed claims of the access token; null when logged out. Absent from workers before 0.2. */
  identity?: SessionIdentity | null;
  /**
   * True when this version may route requests outside its script URL's scope past itself
   * (static routing, standalone `sw.js`); absent otherwise and from workers before 0.2.
   */
  routed?: true;
  /**
   * Whether a route scope in this worker's script URL would give it static routes (standalone
   * `sw.js` in a browser with static routing). False: a new script URL would only cost a version
   * hand-over, so pages keep the registered one. Absent from workers before 0.2.
   */
  canRoute?: boolean;
}

export interface AccessTokenInfo {
  accessToken: string;
  generation: number;
  /** The login lineage the token belongs to (an opaque id, not a secret); pass it back in `RefreshRequest.seenSession`. */
  session: string;
  expiresIn: number;
}

export interface RefreshRequest {
  trigger: RefreshTrigger;
  /** Generation of the token the caller saw rejected; an older one means "already refreshed". */
  seenGeneration?: number;
  /** Login lineage of that token (`AccessTokenInfo.session`): a caller of an ended login gets `session-changed`, never another login's token. */
  seenSession?: string;
}

/**
 * The functions the worker exposes to pages over Comlink. Only functions: the
 * exposed object holds no state, because Comlink lets the other side read any property path.
 */
export interface BrokerApi extends WireApi {
  configure(config: DeclarativeConfig): Promise<Result<BrokerStatus>>;
  setSession(tokens: SessionTokens): Promise<Result<BrokerStatus>>;
  getAccessToken(options?: { minValidityMs?: number }): Promise<Result<AccessTokenInfo>>;
  refresh(request: RefreshRequest): Promise<Result<BrokerStatus>>;
  logout(): Promise<Result<BrokerStatus>>;
  status(): Promise<Result<BrokerStatus>>;
  /** Proactive wake-up from a page timer: refreshes if due. */
  wake(): Promise<Result<BrokerStatus>>;
  /** Takes control of uncontrolled pages (first visit, hard reload). */
  claim(): Promise<Result<BrokerStatus>>;
  /** The page aborted the request it tagged with `REQUEST_ID_HEADER: id`. */
  abort(id: string): Promise<Result<null>>;
}

export type BrokerMethod = keyof BrokerApi;

/** Messages the worker sends to every tab of the origin on a BroadcastChannel. */
export type BroadcastMessage =
  | { type: 'logout'; reason: LogoutReason }
  | {
      type: 'refreshed';
      generation: number;
      expiresIn: number;
      trigger: RefreshTrigger;
      /** The new token's identity (absent from workers before 0.2). */
      identity?: SessionIdentity | null;
    }
  | { type: 'session'; generation: number; expiresIn: number; identity?: SessionIdentity | null }
  | { type: 'error'; error: SerializedError };

/** Marks a page→worker message as ours; the Comlink message rides in `call`, the reply port in `ports[0]`. */
export const ENVELOPE_KEY = '__swTokenBroker' as const;

export interface Envelope {
  [ENVELOPE_KEY]: 1;
  call: unknown;
}

export function isEnvelope(data: unknown): data is Envelope {
  return typeof data === 'object' && data !== null && (data as Record<string, unknown>)[ENVELOPE_KEY] === 1;
}

/** The BroadcastChannel of a broker given no name (`brokerNames().channel`, without import-time work). */
export const DEFAULT_CHANNEL = DEFAULT_BROKER_NAME;

/**
 * Request header `broker.fetch` tags a request with, so the page can announce its abort
 * (`BrokerApi.abort`); the worker removes it before the request goes out.
 */
export const REQUEST_ID_HEADER = 'x-token-broker-request';

/** Response header naming the error code on responses the worker made up itself (503) or marked (401). */
export const ERROR_HEADER = 'x-token-broker-error';
