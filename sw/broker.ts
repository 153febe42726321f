import type { DeclarativeConfig } from '../shared/config.js';
import { serializeError, TokenBrokerError } from '../shared/errors.js';
import type { AccessTokenInfo, BroadcastMessage, BrokerStatus, RefreshTrigger, SessionTokens } from '../shared/protocol.js';
import type { Broadcaster } from './broadcast.js';
import { computeExpiresAt, refreshDueAt } from './expiry.js';
import type { ConfigLimits } from './config-rules.js';
import { createWebLock, type LockFn } from './lock.js';
import { attemptRefresh } from './refresh-attempt.js';
import { RefreshCoordinator } from './refresh-coordinator.js';
import { revokeRefreshToken } from './revoke.js';
import { declarativePart, resolveConfig, safeResolve, type ResolvedConfig, type TokenBrokerConfig } from './settings.js';
import type { SessionStore, StoredSession } from './store.js';
import { validateTokens } from './token-response.js';

export interface BrokerDeps {
  /** The worker's own origin. */
  origin: string;
  store: SessionStore;
  broadcaster: Broadcaster;
  fetch: typeof fetch;
  /** Fixed config (installTokenBroker). Without it the config comes from pages and is persisted. */
  config?: TokenBrokerConfig;
  lock?: LockFn;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  isOnline?: () => boolean;
  /** Bounds of the timing options; tests on a virtual clock relax them. @default DEFAULT_LIMITS */
  limits?: ConfigLimits;
}

/** The worker's state: the cached session, the config and the one refresh coordinator. */
export class Broker {
  readonly coordinator: RefreshCoordinator;
  readonly now: () => number;
  readonly instance = Math.random().toString(36).slice(2, 10);
  private session: StoredSession | null = null;
  private config: ResolvedConfig | null;
  private loading: Promise<void> | null = null;
  private loaded = false;
  private readonly lock: LockFn;

  constructor(private readonly deps: BrokerDeps) {
    this.now = deps.now ?? Date.now;
    this.config = deps.config ? resolveConfig(deps.config, deps.origin, deps.limits) : null;
    this.lock = deps.lock ?? createWebLock(() => (this.config?.refreshTimeoutMs ?? 10_000) + 5_000);
    this.coordinator = new RefreshCoordinator({
      store: deps.store,
      lock: this.lock,
      attempt: (token) => attemptRefresh(token, this.requireConfig(), { fetch: deps.fetch, now: this.now }),
      config: () => this.requireConfig(),
      now: this.now,
      sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      random: deps.random ?? Math.random,
      isOnline: deps.isOnline ?? (() => globalThis.navigator?.onLine !== false),
      onSession: (session, adopted) => {
        this.session = session;
        if (!adopted) this.post({ type: 'refreshed', generation: session.generation, expiresIn: this.expiresIn(session) ?? 0, trigger: session.trigger as RefreshTrigger });
      },
      onEnded: () => {
        this.session = null;
        this.post({ type: 'logout', reason: 'refresh-rejected' });
      },
      onFailed: (error) => this.post({ type: 'error', error: serializeError(error) }),
    });
  }

  /** One lazy gate for every handler: loads config and session once per worker start (PITFALLS §4). */
  ready(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    return (this.loading ??= this.load().catch((e: unknown) => {
      this.loading = null;
      throw e;
    }));
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  private async load(): Promise<void> {
    if (!this.deps.config) {
      const saved = await this.deps.store.readConfig();
      // A config an older version stored may fail today's rules: start unconfigured, never wedged.
      if (saved) this.config = safeResolve(saved, this.deps.origin, this.deps.limits);
    }
    this.session = await this.deps.store.read();
    this.deps.broadcaster.listen((m) => void this.onBroadcast(m));
    this.loaded = true;
  }

  /** Another worker version wrote or cleared the session: follow it. */
  private async onBroadcast(message: BroadcastMessage): Promise<void> {
    if (message.type === 'logout') this.session = null;
    else if ((message.type === 'refreshed' || message.type === 'session') && message.generation !== this.session?.generation) {
      this.session = await this.deps.store.read();
    }
  }

  private post(message: BroadcastMessage): void {
    this.deps.broadcaster.post(message);
  }

  /** Tells every tab about a failure no caller can be rejected with (a login answer not captured). */
  reportError(error: TokenBrokerError): void {
    this.post({ type: 'error', error: serializeError(error) });
  }

  currentConfig(): ResolvedConfig | null {
    return this.config;
  }

  currentSession(): StoredSession | null {
    return this.session;
  }

  private requireConfig(): ResolvedConfig {
    if (!this.config) throw new TokenBrokerError('not-configured', 'the worker has no configuration yet');
    return this.config;
  }

  private expiresIn(session: StoredSession): number | null {
    return session.expiresAt === null ? null : session.expiresAt - this.now();
  }

  /** Milliseconds until the proactive refresh is due (≤ 0: due now), or null. */
  dueIn(): number | null {
    const s = this.session;
    if (!s || !this.config) return null;
    const due = refreshDueAt(s.expiresAt, s.receivedAt, this.config.refreshLeadMs);
    return due === null ? null : due - this.now();
  }

  status(): BrokerStatus {
    const s = this.session;
    return {
      loggedIn: s !== null,
      generation: s?.generation ?? 0,
      expiresIn: s ? this.expiresIn(s) : null,
      refreshDueIn: this.dueIn(),
      lastRefresh: s && s.trigger !== 'login' ? { trigger: s.trigger, agoMs: this.now() - s.receivedAt } : null,
      configured: this.config !== null,
      workerInstance: this.instance,
    };
  }

  /** Standalone worker: adopt and persist the page's declarative config. */
  async configure(config: DeclarativeConfig): Promise<BrokerStatus> {
    await this.ready();
    if (this.deps.config) return this.status(); // installTokenBroker's own config wins
    // Checked as sent, before JSON would turn NaN and Infinity into null.
    const resolved = resolveConfig(config, this.deps.origin, this.deps.limits);
    const plain = declarativePart(config);
    if (JSON.stringify(plain) !== JSON.stringify(await this.deps.store.readConfig())) await this.deps.store.writeConfig(plain);
    this.config = resolved;
    return this.status();
  }

  /** Stores tokens from the app's login. Waits for a running refresh so it cannot overwrite them. */
  async setSession(tokens: SessionTokens): Promise<BrokerStatus> {
    await this.ready();
    const valid = validateTokens(tokens ?? {}, 'invalid-session');
    if (!valid.refreshToken) throw new TokenBrokerError('invalid-session', 'a refresh token is required');
    const receivedAt = this.now();
    const session = await this.lock(async () => {
      const previous = await this.deps.store.read();
      const next: StoredSession = {
        accessToken: valid.accessToken,
        refreshToken: valid.refreshToken as string,
        expiresAt: computeExpiresAt(valid.accessToken, valid.expiresIn, receivedAt),
        receivedAt,
        generation: Math.max(previous?.generation ?? 0, this.session?.generation ?? 0) + 1,
        trigger: 'login',
      };
      await this.deps.store.write(next);
      return next;
    });
    this.session = session;
    this.post({ type: 'session', generation: session.generation, expiresIn: this.expiresIn(session) ?? 0 });
    return this.status();
  }

  /** Refreshes through the one coordinator. A caller that saw an older generation gets the current session. */
  async refresh(trigger: RefreshTrigger, seenGeneration?: number): Promise<StoredSession> {
    await this.ready();
    this.requireConfig();
    const s = this.session;
    if (!s) throw new TokenBrokerError('no-session', 'no session is stored');
    if (seenGeneration !== undefined && seenGeneration < s.generation) return s;
    return this.coordinator.refresh(s.generation, trigger).catch((error: unknown) => {
      // IndexedDB holds no session: another context logged out and this worker missed the broadcast.
      if ((error as TokenBrokerError).code === 'no-session') this.session = null;
      throw error;
    });
  }

  /** The proactive check every event runs; never throws. */
  refreshIfDue(): Promise<void> {
    const due = this.dueIn();
    if (due === null || due > 0) return Promise.resolve();
    return this.refresh('proactive').then(
      () => undefined,
      () => undefined,
    );
  }

  async getAccessToken(minValidityMs = 0): Promise<AccessTokenInfo> {
    await this.ready();
    if (this.config && !this.config.revealAccessToken) throw new TokenBrokerError('token-not-revealed', 'the worker is configured not to reveal tokens');
    let s = this.session;
    if (!s) throw new TokenBrokerError('no-session', 'no session is stored');
    const expiresIn = this.expiresIn(s);
    if ((this.dueIn() ?? 1) <= 0 || (expiresIn !== null && expiresIn < minValidityMs)) {
      try {
        s = await this.refresh('proactive');
      } catch (error) {
        // A transient failure still leaves a usable token until it expires.
        const current = this.session;
        if (!current || (this.expiresIn(current) ?? 1) <= 0) throw error;
        s = current;
      }
    }
    return { accessToken: s.accessToken, generation: s.generation, expiresIn: this.expiresIn(s) ?? Number.MAX_SAFE_INTEGER };
  }

  /** Clears the session everywhere, tells every tab, then revokes the refresh token (best effort). */
  async logout(): Promise<BrokerStatus> {
    await this.ready();
    const previous = await this.lock(async () => {
      const stored = await this.deps.store.read();
      await this.deps.store.clear();
      return stored;
    });
    this.session = null;
    this.post({ type: 'logout', reason: 'user-logout' });
    const config = this.config;
    if (previous && config?.revocationEndpoint) await revokeRefreshToken(previous.refreshToken, config, this.deps.fetch);
    return this.status();
  }
}
