import { identityOf } from './claims.js';
import type { DeclarativeConfig } from '../shared/config.js';
import { serializeError, TokenBrokerError } from '../shared/errors.js';
import type { AccessTokenInfo, BrokerStatus, RefreshTrigger, SessionTokens } from '../shared/protocol.js';
import { AbortRegistry } from './abort-registry.js';
import { bounded } from './bounded.js';
import { BrokerState, type BrokerStateDeps } from './broker-state.js';
import { configureFromPage } from './configure.js';
import { createCoordinator } from './create-coordinator.js';
import type { DpopKey } from './dpop-proof.js';
import { expiresIn } from './expiry.js';
import type { LockFn } from './lock.js';
import type { RefreshCoordinator } from './refresh-coordinator.js';
import { RefreshPolicy } from './refresh-policy.js';
import type { ReplayPool } from './replay-copy.js';
import { endSession, storeLogin } from './session-lifecycle.js';
import type { ResolvedConfig } from './settings.js';
import type { StoredSession } from './store.js';
import { UNAUTHORIZED_MESSAGES, UnauthorizedPolicy } from './unauthorized-policy.js';

export interface BrokerDeps extends BrokerStateDeps {
  lock?: LockFn;
  /** Whether `lock` excludes every context of the origin (a Web Lock), not just this worker. @default true when `lock` is given */
  lockIsShared?: boolean;
  /** @default REFRESH_HARD_CAP_MS (create-coordinator.ts) */
  hardCapMs?: number;
  /** @default REFRESH_BUDGET_MS (refresh-retry.ts) */
  refreshBudgetMs?: number;
  /** Name of the refresh Web Lock when `lock` is not given (one per broker name). @default `brokerNames().refreshLock` */
  lockName?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  isOnline?: () => boolean;
}

/** The token a caller saw: its generation, and its login lineage when the caller knows it. */
export interface SeenSession {
  generation: number;
  lineage?: string;
}

/**
 * The worker's operations on the one session: log in, refresh, hand out a token, log out,
 * configure. What it knows lives in `state`; when to refresh and whether to wait is `policy`'s;
 * the exactly-once refresh is `coordinator`'s.
 */
export class Broker {
  readonly state: BrokerState;
  readonly policy: RefreshPolicy;
  readonly #coordinator: RefreshCoordinator;
  readonly unauthorized: UnauthorizedPolicy;
  /** Aborts pages announce for requests this worker holds. */
  readonly aborts = new AbortRegistry();
  /** Bytes of request bodies held for replays after a 401 (sw/replay-copy.ts). */
  readonly replayPool: ReplayPool = { held: 0 };
  readonly now: () => number;
  readonly instance = Math.random().toString(36).slice(2, 10);

  constructor(readonly deps: BrokerDeps) {
    this.now = deps.now ?? Date.now;
    const state = new BrokerState(deps);
    this.state = state;
    this.unauthorized = new UnauthorizedPolicy(this.now);
    this.#coordinator = createCoordinator(state, this.unauthorized, deps, this.instance, this.now);
    this.policy = new RefreshPolicy({
      session: () => state.session,
      config: () => state.config,
      requireConfig: () => state.requireConfig(),
      now: this.now,
      running: (lineage) => this.#coordinator.running(lineage),
      refresh: (trigger) => this.refresh(trigger),
    });
  }

  get debug() {
    return this.state.debug;
  }
  ready(): Promise<void> {
    return this.state.ready();
  }
  get isLoaded(): boolean {
    return this.state.isLoaded;
  }
  sync(): Promise<void> {
    return this.state.sync();
  }
  currentConfig(): ResolvedConfig | null {
    return this.state.config;
  }
  currentSession(): StoredSession | null {
    return this.state.session;
  }
  reportError(error: TokenBrokerError): void {
    this.state.reportError(error);
  }
  dueIn(): number | null {
    return this.policy.dueIn();
  }
  refreshIfDue(): Promise<void> {
    return this.policy.refreshIfDue();
  }
  /** Evidence the network works (a response arrived, `online` fired): our own backoff ends. */
  networkBack(): void {
    this.#coordinator.networkBack();
  }

  /** Resolves once no refresh or revocation of this worker is running (hold the event open with it). */
  async settled(): Promise<void> {
    await this.#coordinator.settled();
    await this.state.settled();
  }

  status(): BrokerStatus {
    const s = this.state.session;
    return {
      loggedIn: s !== null,
      generation: s?.generation ?? 0,
      expiresIn: s ? expiresIn(s, this.now) : null,
      refreshDueIn: this.dueIn(),
      lastRefresh:
        s && s.trigger !== 'login' ? { trigger: s.trigger, agoMs: this.now() - s.receivedAt } : null,
      configured: this.state.config !== null,
      workerInstance: this.instance,
      identity: s ? identityOf(s.accessToken) : null,
      ...(this.deps.routed ? { routed: true as const } : {}),
      canRoute: this.deps.canRoute === true,
    };
  }

  /** Standalone worker: adopt and persist the page's declarative config. */
  async configure(config: DeclarativeConfig): Promise<BrokerStatus> {
    await this.ready();
    if (this.deps.config) return this.status(); // installTokenBroker's own config wins
    return configureFromPage(this.state, config, () => this.status());
  }

  /** A login: its tokens become a new lineage at once (session-lifecycle.ts), bound to `dpopKey` when the login was proved with it. */
  async setSession(tokens: SessionTokens, dpopKey?: DpopKey): Promise<BrokerStatus> {
    await this.ready();
    this.unauthorized.recordNewToken(await storeLogin(this.state, tokens, this.now, dpopKey));
    return this.status();
  }

  /**
   * Refreshes the session `seen` (default: the current one) through the one coordinator and
   * resolves with the session after it. A caller that saw an older token gets the current session.
   */
  async refresh(trigger: RefreshTrigger, seenOrGeneration?: SeenSession | number): Promise<StoredSession> {
    const seen = typeof seenOrGeneration === 'number' ? { generation: seenOrGeneration } : seenOrGeneration;
    await this.ready();
    this.state.requireConfig();
    const s = this.state.session;
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
          this.state.post({ type: 'error', error: serializeError(error) });
        throw error;
      }
    }
    this.debug(this.#coordinator.running(s.lineage) ? 'refresh joined' : 'refresh started', {
      trigger,
      generation: s.generation,
    });
    return this.#coordinator.refresh(s, trigger).catch((error: unknown) => {
      this.debug('refresh failed', { trigger, code: (error as TokenBrokerError).code });
      // IndexedDB lost the session without a logout this worker heard of.
      if ((error as TokenBrokerError).code === 'no-session' && this.state.session?.lineage === s.lineage)
        this.state.ended('storage-lost');
      throw error;
    });
  }

  /** A refresh for callers with a deadline: they get `refresh-unavailable` after `waitMs`, the refresh itself runs on. */
  refreshWithin(
    waitMs: number,
    trigger: RefreshTrigger,
    seen?: SeenSession | number,
  ): Promise<StoredSession> {
    return bounded(this.refresh(trigger, seen), waitMs);
  }

  /** The access token for a page, refreshed first when the policy says it would not last (refresh-policy.ts). */
  async getAccessToken(minValidityMs = 0): Promise<AccessTokenInfo> {
    await this.sync();
    if (this.state.config && !this.state.config.revealAccessToken)
      throw new TokenBrokerError('token-not-revealed', 'the worker is configured not to reveal tokens');
    if (this.state.config?.dpop)
      throw new TokenBrokerError(
        'dpop-bound',
        "the access token is bound to the worker's DPoP key: send the request through the worker (apiPaths, allowedOrigins)",
      );
    if (!this.state.session) throw new TokenBrokerError('no-session', 'no session is stored');
    const s = (await this.policy.sessionFor({ for: 'token', minValidityMs })) as StoredSession;
    return {
      accessToken: s.accessToken,
      generation: s.generation,
      session: s.lineage,
      expiresIn: expiresIn(s, this.now) ?? Number.MAX_SAFE_INTEGER,
    };
  }

  /** Ends the session at once, then revokes its refresh token (session-lifecycle.ts). */
  async logout(): Promise<BrokerStatus> {
    await this.ready();
    await endSession(this.state);
    return this.status();
  }
}
