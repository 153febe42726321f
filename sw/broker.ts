import type { DeclarativeConfig } from '../shared/config.js';
import { serializeError, toTokenBrokerError, TokenBrokerError } from '../shared/errors.js';
import type {
  AccessTokenInfo,
  BroadcastMessage,
  BrokerStatus,
  LogoutReason,
  RefreshTrigger,
  SessionTokens,
} from '../shared/protocol.js';
import type { Broadcaster } from './broadcast.js';
import { AbortRegistry } from './abort-registry.js';
import { identityOf } from './claims.js';
import { bounded } from './bounded.js';
import { createDebugLog, type DebugLog } from './debug-log.js';
import { refreshDueAt } from './expiry.js';
import type { ConfigLimits } from './config-rules.js';
import { createWebLock, hasWebLocks, type LockFn } from './lock.js';
import { adoptPageConfig, oneAtATime } from './config-owner.js';
import { attemptRefresh } from './refresh-attempt.js';
import { RefreshCoordinator } from './refresh-coordinator.js';
import { revokeRefreshToken } from './revoke.js';
import { loginSession } from './session-record.js';
import {
  declarativePart,
  resolveConfig,
  safeResolve,
  type ResolvedConfig,
  type TokenBrokerConfig,
} from './settings.js';
import type { SessionStore, StoredSession } from './store.js';
import { validateTokens } from './token-response.js';
import { UNAUTHORIZED_MESSAGES, UnauthorizedPolicy } from './unauthorized-policy.js';

/** How long a refresh request may stay unanswered before its answer counts as lost (see refresh-attempt.ts). */
export const REFRESH_HARD_CAP_MS = 120_000;

export interface BrokerDeps {
  /** The worker's own origin. */
  origin: string;
  store: SessionStore;
  broadcaster: Broadcaster;
  fetch: typeof fetch;
  /** Fixed config (installTokenBroker). Without it the config comes from pages and is persisted. */
  config?: TokenBrokerConfig;
  lock?: LockFn;
  /** Whether `lock` excludes every context of the origin (a Web Lock), not just this worker. @default true when `lock` is given */
  lockIsShared?: boolean;
  /** @default REFRESH_HARD_CAP_MS */
  hardCapMs?: number;
  /** Name of the refresh Web Lock when `lock` is not given (one per broker name). @default LOCK_NAME */
  lockName?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  isOnline?: () => boolean;
  /** Bounds of the timing options; tests on a virtual clock relax them. @default DEFAULT_LIMITS */
  limits?: ConfigLimits;
  /** Deletes what belongs to the user (the app's API caches); runs before `logout` is broadcast. */
  clearUserData?: () => Promise<void>;
}

/** The token a caller saw: its generation, and its login lineage when the caller knows it. */
export interface SeenSession {
  generation: number;
  lineage?: string;
}

/** The worker's state: the cached session, the config and the one refresh coordinator. */
export class Broker {
  readonly coordinator: RefreshCoordinator;
  readonly unauthorized: UnauthorizedPolicy;
  /** One line per decision when the config says `debug: true`. */
  readonly debug: DebugLog = createDebugLog(() => this.config?.debug === true);
  /** Aborts pages announce for requests this worker holds. */
  readonly aborts = new AbortRegistry();
  readonly now: () => number;
  readonly instance = Math.random().toString(36).slice(2, 10);
  private session: StoredSession | null = null;
  private config: ResolvedConfig | null;
  private loading: Promise<void> | null = null;
  private loaded = false;
  private readonly lock: LockFn;
  /** Work that must finish before the worker may stop (revocations). */
  private readonly background = new Set<Promise<unknown>>();

  constructor(private readonly deps: BrokerDeps) {
    this.now = deps.now ?? Date.now;
    this.config = deps.config ? resolveConfig(deps.config, deps.origin, deps.limits) : null;
    this.lock =
      deps.lock ?? createWebLock(() => (this.config?.refreshTimeoutMs ?? 10_000) + 5_000, deps.lockName);
    this.unauthorized = new UnauthorizedPolicy(this.now);
    const hardCapMs = deps.hardCapMs ?? REFRESH_HARD_CAP_MS;
    this.coordinator = new RefreshCoordinator({
      store: deps.store,
      lock: this.lock,
      lockIsShared: deps.lock ? (deps.lockIsShared ?? true) : hasWebLocks(),
      attempt: (token) =>
        attemptRefresh(token, this.requireConfig(), { fetch: deps.fetch, now: this.now, hardCapMs }),
      config: () => this.requireConfig(),
      instance: this.instance,
      hardCapMs,
      now: this.now,
      sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      random: deps.random ?? Math.random,
      isOnline: deps.isOnline ?? (() => globalThis.navigator?.onLine !== false),
      onSession: (session, adopted) => {
        this.session = session;
        this.debug(adopted ? 'refresh adopted a stored session' : 'refresh stored', {
          trigger: session.trigger,
          generation: session.generation,
        });
        this.unauthorized.recordNewToken(session);
        if (adopted) return;
        if (session.trigger === 'unauthorized') this.unauthorized.recordRefresh(session.lineage);
        this.post({
          type: 'refreshed',
          generation: session.generation,
          expiresIn: this.expiresIn(session) ?? 0,
          trigger: session.trigger as RefreshTrigger,
        });
      },
      onEnded: (reason) => this.ended(reason),
      onFailed: (error) => this.post({ type: 'error', error: serializeError(error) }),
      onOrphaned: (refreshToken) => this.revoke(refreshToken),
    });
  }

  /** One lazy gate for every handler: loads config and session once per worker start (docs/platform-facts.md §4). */
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
      const saved = await this.deps.store.readConfig().catch(() => null);
      // A config an older version stored may fail today's rules: start unconfigured, never wedged.
      if (saved) this.config = safeResolve(saved, this.deps.origin, this.deps.limits);
    }
    this.session = await this.readStored();
    this.deps.broadcaster.listen((m) => void this.onBroadcast(m).catch(() => undefined));
    this.loaded = true;
  }

  /**
   * The stored session, with storage faults handled: a corrupt record is removed and ends the
   * session (`storage-lost`); storage that cannot be read keeps what memory has.
   */
  private async readStored(): Promise<StoredSession | null> {
    try {
      return await this.deps.store.read();
    } catch (cause) {
      const error = toTokenBrokerError(cause);
      if (error.code !== 'storage-lost') {
        this.post({ type: 'error', error: serializeError(error) });
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
    const stored = await this.readStored();
    if (stored)
      this.session =
        stored.generation >= (had?.lineage === stored.lineage ? had.generation : 0) ? stored : had;
    else if (had && this.session) this.ended('storage-lost');
  }

  /** Another worker version wrote or cleared the session: follow it. */
  private async onBroadcast(message: BroadcastMessage): Promise<void> {
    if (message.type === 'logout') this.session = null;
    else if (
      (message.type === 'refreshed' || message.type === 'session') &&
      message.generation !== this.session?.generation
    ) {
      this.session = await this.readStored();
    }
  }

  /**
   * The session is over. The user's cached data is gone before any tab hears `logout`, so a
   * tab reacting to it (showing the login, the next user signing in) never reads it. The
   * deletion is held by `settled()`, and `logout()` waits for it.
   */
  private ended(reason: LogoutReason): Promise<void> {
    this.debug('session ended', { reason });
    this.session = null;
    const clear = this.deps.clearUserData;
    if (!clear) {
      this.post({ type: 'logout', reason });
      return Promise.resolve();
    }
    const done = clear()
      .catch(() => undefined)
      .then(() => this.post({ type: 'logout', reason }))
      .finally(() => this.background.delete(done));
    this.background.add(done);
    return done;
  }

  private revoke(refreshToken: string): void {
    const config = this.config;
    if (!config?.revocationEndpoint) return;
    const done = revokeRefreshToken(refreshToken, config, this.deps.fetch).finally(() =>
      this.background.delete(done),
    );
    this.background.add(done);
  }

  /** Resolves once no refresh or revocation of this worker is running (hold the event open with it). */
  async settled(): Promise<void> {
    await this.coordinator.settled();
    await Promise.allSettled([...this.background]);
  }

  private post(message: BroadcastMessage): void {
    // A new token's claims ride with its announcement, so every tab's snapshot follows without a call.
    const s = this.session;
    if ((message.type === 'session' || message.type === 'refreshed') && s?.generation === message.generation)
      message = { ...message, identity: identityOf(s.accessToken) };
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
      lastRefresh:
        s && s.trigger !== 'login' ? { trigger: s.trigger, agoMs: this.now() - s.receivedAt } : null,
      configured: this.config !== null,
      workerInstance: this.instance,
      identity: s ? identityOf(s.accessToken) : null,
    };
  }

  /** Standalone worker: adopt and persist the page's declarative config. */
  async configure(config: DeclarativeConfig): Promise<BrokerStatus> {
    await this.ready();
    if (this.deps.config) return this.status(); // installTokenBroker's own config wins
    // Checked as sent, before JSON would turn NaN and Infinity into null.
    const resolved = resolveConfig(config, this.deps.origin, this.deps.limits);
    const plain = declarativePart(config);
    return oneAtATime(this, async () => {
      const resolveStored = (saved: DeclarativeConfig) =>
        safeResolve(saved, this.deps.origin, this.deps.limits);
      const { replacedBy } = await adoptPageConfig(
        this.deps.store,
        { plain, resolved },
        resolveStored,
        this.session !== null,
      );
      this.config = resolved;
      // Tabs still on the replaced config re-send theirs on this and learn they lost (config-owner.ts).
      if (replacedBy !== null)
        this.post({
          type: 'error',
          error: {
            code: 'config-conflict',
            message: `the worker's config was replaced by configVersion ${replacedBy}`,
          },
        });
      return this.status();
    });
  }

  /**
   * Stores tokens from the app's login as a new lineage, at once: a login never waits for a
   * refresh of an older session, and that refresh's answer is discarded when it comes.
   */
  async setSession(tokens: SessionTokens): Promise<BrokerStatus> {
    await this.ready();
    const valid = validateTokens(tokens ?? {}, 'invalid-session');
    if (!valid.refreshToken) throw new TokenBrokerError('invalid-session', 'a refresh token is required');
    const receivedAt = this.now();
    const known = this.session?.generation ?? 0;
    const session = (await this.deps.store.update((previous) =>
      loginSession(
        { ...valid, refreshToken: valid.refreshToken as string },
        receivedAt,
        Math.max(previous?.generation ?? 0, known) + 1,
      ),
    )) as StoredSession;
    this.session = session;
    this.unauthorized.recordNewToken(session);
    this.post({ type: 'session', generation: session.generation, expiresIn: this.expiresIn(session) ?? 0 });
    return this.status();
  }

  /**
   * Refreshes the session `seen` (default: the current one) through the one coordinator and
   * resolves with the session after it. A caller that saw an older token gets the current session.
   */
  async refresh(trigger: RefreshTrigger, seenOrGeneration?: SeenSession | number): Promise<StoredSession> {
    const seen = typeof seenOrGeneration === 'number' ? { generation: seenOrGeneration } : seenOrGeneration;
    await this.ready();
    this.requireConfig();
    const s = this.session;
    if (!s) throw new TokenBrokerError('no-session', 'no session is stored');
    if (seen?.lineage !== undefined && seen.lineage !== s.lineage)
      throw new TokenBrokerError('session-changed', 'the login this caller belonged to has ended');
    if (seen && seen.generation < s.generation) return s;
    if (trigger === 'unauthorized') {
      const decision = this.unauthorized.decide(s);
      if (decision !== 'refresh') {
        this.debug('401 not refreshed', { reason: decision, generation: s.generation });
        const error = new TokenBrokerError(decision, UNAUTHORIZED_MESSAGES[decision]);
        // The app hears of an exhausted budget once per lineage; an uncured 401 is the app's own answer.
        if (decision === 'refresh-budget-exceeded' && this.unauthorized.firstReport(s.lineage))
          this.post({ type: 'error', error: serializeError(error) });
        throw error;
      }
    }
    this.debug(this.coordinator.running(s.lineage) ? 'refresh joined' : 'refresh started', {
      trigger,
      generation: s.generation,
    });
    return this.coordinator.refresh(s, trigger).catch((error: unknown) => {
      this.debug('refresh failed', { trigger, code: (error as TokenBrokerError).code });
      // IndexedDB lost the session without a logout this worker heard of.
      if ((error as TokenBrokerError).code === 'no-session' && this.session?.lineage === s.lineage)
        this.ended('storage-lost');
      throw error;
    });
  }

  /** A refresh for callers with a deadline: they get `refresh-unavailable` after `waitMs`, the refresh itself runs on. */
  async refreshWithin(
    waitMs: number,
    trigger: RefreshTrigger,
    seen?: SeenSession | number,
  ): Promise<StoredSession> {
    return bounded(this.refresh(trigger, seen), waitMs);
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
    await this.sync();
    if (this.config && !this.config.revealAccessToken)
      throw new TokenBrokerError('token-not-revealed', 'the worker is configured not to reveal tokens');
    let s = this.session;
    if (!s) throw new TokenBrokerError('no-session', 'no session is stored');
    const expiresIn = this.expiresIn(s);
    if ((this.dueIn() ?? 1) <= 0 || (expiresIn !== null && expiresIn < minValidityMs)) {
      try {
        s = await this.refreshWithin(this.requireConfig().refreshTimeoutMs, 'proactive');
      } catch (error) {
        // A transient failure still leaves a usable token until it expires.
        const current = this.session;
        if (!current || current.lineage !== s.lineage || (this.expiresIn(current) ?? 1) <= 0) throw error;
        s = current;
      }
    }
    return {
      accessToken: s.accessToken,
      generation: s.generation,
      session: s.lineage,
      expiresIn: this.expiresIn(s) ?? Number.MAX_SAFE_INTEGER,
    };
  }

  /**
   * Ends the session at once (storage cleared, every tab told), never waiting for a refresh,
   * then revokes the refresh token (best effort). A refresh answer still on its way is
   * discarded by the coordinator and its new refresh token revoked too.
   */
  async logout(): Promise<BrokerStatus> {
    await this.ready();
    let stored: StoredSession | null = null;
    await this.deps.store
      .update((current) => {
        stored = current;
        return null;
      })
      .catch(() => undefined);
    const tokens = new Set([(stored as StoredSession | null)?.refreshToken, this.session?.refreshToken]);
    const announced = this.ended('user-logout');
    for (const token of tokens) if (token) this.revoke(token);
    await announced;
    await this.settledRevocations();
    return this.status();
  }

  private async settledRevocations(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }
}
