// The page client's public shapes: the options of `createTokenBroker` and the handle it returns.
import type { DeclarativeConfig } from '../shared/config.js';
import type { BrokerStatus, SessionTokens } from '../shared/protocol.js';
import type { AxiosAdapters, AxiosLike } from './axios.js';
import type { EventName, Handler } from './events.js';
import type { SessionSnapshot } from './snapshot.js';
import type { Workbox } from 'workbox-window';

/** Options of `registerTokenBroker`. */
export interface RegisterOptions {
  /** URL of the worker script. @default '/sw.js' */
  scriptUrl?: string;
  /** Registration scope. @default the script's directory */
  scope?: string;
  /**
   * The broker's name: its IndexedDB database, BroadcastChannel and Web Locks are named after it,
   * so two apps on one origin (each with its own scope) share nothing. The prebuilt `sw.js` gets
   * it as `?name=` on `scriptUrl`; your own worker passes the same value as `installTokenBroker`'s
   * `dbName`. @default 'sw-token-broker'
   */
  name?: string;
  /** Config for the prebuilt standalone `sw.js`. Omit it when your worker calls `installTokenBroker(config)`. */
  worker?: DeclarativeConfig;
  /**
   * @deprecated Ignored: on a page it does not control, the worker itself decides which requests
   * get the token (the rule it applies to the requests it sees), so the page needs no copy of it.
   */
  scopeHint?: Partial<DeclarativeConfig>;
  /** Timeout of one call to the worker (one retry follows a timeout). @default 10000 */
  callTimeoutMs?: number;
  /** Calls that may run twice are sent again after this long without an answer (the worker may have died). @default 1500 */
  resendAfterMs?: number;
  /**
   * How long registration waits for an active, controlling worker, and how long the client's
   * `fetch` and Axios integration hold a request for readiness before deciding it. @default 5000
   */
  readyTimeoutMs?: number;
  /**
   * Fail closed: without a worker (unsupported, blocked, registration failed) `ready` rejects
   * and the client's `fetch` and Axios integration refuse every request instead of sending it
   * without the worker, so a login answer (refresh token included) never reaches this page
   * through them. @default false (requests go out as they are, without a token)
   */
  requireWorker?: boolean;
  /**
   * Log one line per decision to the console (`console.debug`): each request of the client's
   * `fetch` and Axios integration (attached, or skipped and why) and each startup step. Never
   * token material. Costs nothing when off. @default false
   */
  debug?: boolean;
  /**
   * Your axios default export, so `attachAxios` can resolve adapters given by name (axios'
   * default `['xhr', 'http', 'fetch']`) with `axios.getAdapter`. @default undefined
   */
  axios?: AxiosAdapters;
  /** Let one tab wake the worker when a proactive refresh falls due. @default true */
  proactiveWakeUps?: boolean;
  /**
   * Your app's own workbox-window `Workbox` for this worker, not yet registered: the client
   * registers it, so the page has one registration and one workbox-window, and your listeners
   * on it keep working. @default a Workbox of its own for `scriptUrl`
   */
  workbox?: Workbox;
}

/** What `status()` reports: the worker's view plus this page's. */
export interface ClientStatus extends BrokerStatus {
  /** A service worker controls this page (its requests get tokens without help). */
  controlled: boolean;
}

/** The page-side handle on the broker. It never holds the refresh token. */
export interface TokenBrokerClient {
  /**
   * Settles once the worker is registered, configured and (if it can) controls this page.
   * Rejects with `registration-failed` (the browser refused the script, or its scope misses
   * this page), a refused config (`config-conflict`, `invalid-config`), `protocol-mismatch`,
   * or, with `requireWorker`, `worker-unavailable`. Calls, `fetch` and Axios wait for it.
   */
  readonly ready: Promise<void>;
  /** Stores tokens after your login. */
  setSession(tokens: SessionTokens): Promise<ClientStatus>;
  /** A fresh access token (refreshed through the worker's lock if due). */
  getAccessToken(): Promise<string>;
  /** Refreshes now (joins a refresh already running anywhere). */
  refresh(): Promise<ClientStatus>;
  /** Ends the session in every tab and revokes the refresh token if configured. */
  logout(): Promise<void>;
  status(): Promise<ClientStatus>;
  /**
   * The session as this tab knows it, synchronously: `loading` until the worker first answered,
   * then kept current by the worker's broadcasts to every tab (a `change` event follows each new one).
   */
  snapshot(): SessionSnapshot;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, handler: Handler<E>): () => void;
  /**
   * Makes an Axios instance wait for readiness and work on pages the worker does not control,
   * below all interceptors (its adapter), so their order does not matter. Adapters given by
   * name need `axios.getAdapter`: pass the axios default export here or as the `axios` option.
   * Returns a detach function.
   */
  attachAxios(instance: AxiosLike, axios?: AxiosAdapters): () => void;
  /** `fetch` that waits for readiness and also attaches the token when this page is not controlled. */
  fetch: typeof fetch;
  /**
   * Lets a waiting new worker version (`update-waiting`) take over: workbox-window's
   * `messageSkipWaiting()`. Resolves true once it controls this page, false if none waits or it
   * did not take over within `readyTimeoutMs`. The page keeps running the code it loaded: reload
   * when it suits the user. The session survives the update.
   */
  applyUpdate(): Promise<boolean>;
  /** Removes every listener, interceptor and timer this client added. */
  destroy(): void;
}
