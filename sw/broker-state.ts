import { identityOf } from './claims.js';
import { serializeError, TokenBrokerError, toTokenBrokerError } from '../shared/errors.js';
import type { BroadcastMessage, LogoutReason } from '../shared/protocol.js';
import type { Broadcaster } from './broadcast.js';
import type { ConfigLimits } from './config-rules.js';
import { createDebugLog, type DebugLog } from './debug-log.js';
import { DpopNonces } from './dpop-nonces.js';
import { revokeRefreshToken } from './revoke.js';
import { type ResolvedConfig, resolveConfig, safeResolve, type TokenBrokerConfig } from './settings.js';
import type { SessionStore, StoredSession } from './store.js';

export interface BrokerStateDeps {
  /** The worker's own origin. */
  origin: string;
  store: SessionStore;
  broadcaster: Broadcaster;
  fetch: typeof fetch;
  /** Fixed config (installTokenBroker). Without it the config comes from pages and is persisted. */
  config?: TokenBrokerConfig;
  limits?: ConfigLimits;
  /** This version may route requests outside its script URL's scope past itself (reported in `status`). */
  routed?: boolean;
  /**
   * A route scope in this worker's script URL would give it static routes (the browser has
   * static routing, and the worker routes non-API requests past itself). Reported in `status`.
   */
  canRoute?: boolean;
  /** Deletes what belongs to the user (the app's API caches); runs before `logout` is broadcast. */
  clearUserData?: () => Promise<void>;
}

/**
 * What this worker knows: the cached session and the config, loaded once per worker start and
 * kept in step with IndexedDB and the other worker versions; the end of a session and the
 * revocations that follow it.
 */
export class BrokerState {
  /** The session as this worker last stored or read it. */
  session: StoredSession | null = null;
  config: ResolvedConfig | null;
  /** One line per decision when the config says `debug: true`. */
  readonly debug: DebugLog = createDebugLog(() => this.config?.debug === true);
  /** The `DPoP-Nonce` each origin announced last (`dpop` on). */
  readonly dpopNonces = new DpopNonces();
  #loading: Promise<void> | null = null;
  #loaded = false;
  /** Work that must finish before the worker may stop (cache deletions, revocations). */
  readonly #background = new Set<Promise<unknown>>();

  constructor(readonly deps: BrokerStateDeps) {
    this.config = deps.config ? resolveConfig(deps.config, deps.origin, deps.limits) : null;
  }

  /** One lazy gate for every handler: loads config and session once per worker start (docs/platform-facts.md §4). */
  ready(): Promise<void> {
    if (this.#loaded) return Promise.resolve();
    this.#loading ??= this.#load().catch((e: unknown) => {
      this.#loading = null;
      throw e;
    });
    return this.#loading;
  }

  get isLoaded(): boolean {
    return this.#loaded;
  }

  async #load(): Promise<void> {
    if (!this.deps.config) {
      const saved = await this.deps.store.readConfig().catch(() => null);
      // A config an older version stored may fail today's rules: start unconfigured, never wedged.
      if (saved) this.config = safeResolve(saved, this.deps.origin, this.deps.limits);
    }
    this.session = await this.#readStored();
    this.deps.broadcaster.listen((m) => void this.#onBroadcast(m).catch(() => undefined));
    this.#loaded = true;
  }

  /**
   * The stored session, with storage faults handled: a corrupt record is removed and ends the
   * session (`storage-lost`); storage that cannot be read keeps what memory has.
   */
  async #readStored(): Promise<StoredSession | null> {
    try {
      return await this.deps.store.read();
    } catch (cause) {
      const error = toTokenBrokerError(cause);
      if (error.code !== 'storage-lost') {
        this.reportError(error);
        return this.session;
      }
      await this.deps.store.update(() => null).catch(() => undefined);
      this.ended('storage-lost');
      return null;
    }
  }

  /**
   * Re-reads storage and follows it. A session that vanished from storage without a logout
   * this worker heard of (IndexedDB deleted or cleared, site data evicted) ends here, with
   * one `logout` (`storage-lost`) to every tab, instead of surfacing later as a bare 401.
   */
  async sync(): Promise<void> {
    await this.ready();
    const had = this.session;
    const stored = await this.#readStored();
    if (stored)
      this.session =
        stored.generation >= (had?.lineage === stored.lineage ? had.generation : 0) ? stored : had;
    else if (had && this.session) this.ended('storage-lost');
  }

  /** Another worker version wrote or cleared the session: follow it. */
  async #onBroadcast(message: BroadcastMessage): Promise<void> {
    if (message.type === 'logout') this.session = null;
    else if (
      (message.type === 'refreshed' || message.type === 'session') &&
      message.generation !== this.session?.generation
    ) {
      this.session = await this.#readStored();
    }
  }

  /**
   * The session is over. The user's cached data is gone before any tab hears `logout`, so a
   * tab reacting to it (showing the login, the next user signing in) never reads it. The
   * deletion is held by `settled()`, and `logout()` waits for it.
   */
  ended(reason: LogoutReason): Promise<void> {
    this.debug('session ended', { reason });
    this.session = null;
    const clear = this.deps.clearUserData;
    if (!clear) {
      this.post({ type: 'logout', reason });
      return Promise.resolve();
    }
    return this.#hold(
      clear()
        .catch(() => undefined)
        .then(() => this.post({ type: 'logout', reason })),
    );
  }

  /**
   * `dpop` is on and `session` has no DPoP key (storage partly lost, or a session stored
   * without one): its tokens are bound to a key nobody holds, or were never bound, and must not
   * go out as bearer tokens. The session ends (`dpop-key-lost`); a newer login is left alone.
   */
  async keyLost(session: StoredSession): Promise<void> {
    await this.deps.store
      .update((current) => (current?.lineage === session.lineage ? null : undefined))
      .catch(() => undefined);
    if (this.session?.lineage === session.lineage) await this.ended('dpop-key-lost');
  }

  /** Revokes a refresh token at the revocation endpoint, if one is configured (best effort). */
  revoke(refreshToken: string): void {
    const config = this.config;
    if (config?.revocationEndpoint)
      void this.#hold(revokeRefreshToken(refreshToken, config, this.deps.fetch));
  }

  /** Keeps `work` in `settled()` until it is done. */
  #hold<T>(work: Promise<T>): Promise<T> {
    const done = work.finally(() => this.#background.delete(done));
    this.#background.add(done);
    return done;
  }

  /** Resolves once the cache deletions and revocations started so far have finished. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#background]);
  }

  post(message: BroadcastMessage): void {
    // A new token's claims ride with its announcement, so every tab's snapshot follows without a call.
    const s = this.session;
    if ((message.type === 'session' || message.type === 'refreshed') && s?.generation === message.generation)
      message = { ...message, identity: identityOf(s.accessToken) };
    this.deps.broadcaster.post(message);
  }

  /** Tells every tab about a failure no caller can be rejected with. */
  reportError(error: TokenBrokerError): void {
    this.post({ type: 'error', error: serializeError(error) });
  }

  requireConfig(): ResolvedConfig {
    if (!this.config) throw new TokenBrokerError('not-configured', 'the worker has no configuration yet');
    return this.config;
  }
}
