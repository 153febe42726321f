import type { DeclarativeConfig } from '../shared/config.js';
import { fromSerializedError, TokenBrokerError } from '../shared/errors.js';
import { DEFAULT_CHANNEL, type AccessTokenInfo, type BroadcastMessage, type BrokerMethod, type BrokerStatus, type SessionTokens } from '../shared/protocol.js';
import { attachAxios, type AxiosLike } from './axios.js';
import { createAuthFetch } from './auth-fetch.js';
import { Emitter, type EventName, type Handler } from './events.js';
import { isControlled, registerWorker, waitForControl, type WorkerHandle } from './readiness.js';
import { createPageScope } from './scope.js';
import { callWorker } from './transport.js';
import type { TokenSource } from './token-source.js';
import { WakeScheduler } from './wakeup.js';

/** Options of `registerTokenBroker`. */
export interface RegisterOptions {
  /** URL of the worker script. @default '/sw.js' */
  scriptUrl?: string;
  /** Registration scope. @default the script's directory */
  scope?: string;
  /** Config for the prebuilt standalone `sw.js`. Omit it when your worker calls `installTokenBroker(config)`; then pass `scopeHint` so uncontrolled pages know which requests need the token. */
  worker?: DeclarativeConfig;
  /** Which requests get the token when this page is not controlled. @default `worker`, else `{ apiPaths: ['/api/'] }` */
  scopeHint?: Partial<DeclarativeConfig>;
  /** Timeout of one call to the worker (one retry follows a timeout). @default 10000 */
  callTimeoutMs?: number;
  /** How long registration waits for an active, controlling worker. @default 5000 */
  readyTimeoutMs?: number;
  /** Let one tab wake the worker when a proactive refresh falls due. @default true */
  proactiveWakeUps?: boolean;
}

/** What `status()` reports: the worker's view plus this page's. */
export interface ClientStatus extends BrokerStatus {
  /** A service worker controls this page (its requests get tokens without help). */
  controlled: boolean;
}

/** The page-side handle on the broker. It never holds the refresh token. */
export interface TokenBrokerClient {
  /** Stores tokens after your login. */
  setSession(tokens: SessionTokens): Promise<ClientStatus>;
  /** A fresh access token (refreshed through the worker's lock if due). */
  getAccessToken(): Promise<string>;
  /** Refreshes now (joins a refresh already running anywhere). */
  refresh(): Promise<ClientStatus>;
  /** Ends the session in every tab and revokes the refresh token if configured. */
  logout(): Promise<void>;
  status(): Promise<ClientStatus>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, handler: Handler<E>): () => void;
  /** Makes an Axios instance work on pages the worker does not control; returns a detach function. */
  attachAxios(instance: AxiosLike): () => void;
  /** `fetch` that also attaches the token when this page is not controlled. */
  fetch: typeof fetch;
  /** Removes every listener, interceptor and timer this client added. */
  destroy(): void;
}

class BrokerClient implements TokenBrokerClient, TokenSource {
  readonly ready: Promise<void>;
  readonly fetch: typeof fetch;
  private handle: WorkerHandle | null = null;
  private readonly emitter = new Emitter();
  private readonly channel: BroadcastChannel | undefined;
  private readonly scheduler: WakeScheduler;
  private readonly cleanups: Array<() => void> = [];
  private destroyed = false;
  readonly inScope: (url: string) => boolean;

  constructor(private readonly options: RegisterOptions) {
    this.inScope = createPageScope(options.scopeHint ?? options.worker);
    this.scheduler = new WakeScheduler(() => this.call('wake', []));
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(DEFAULT_CHANNEL);
      this.channel.onmessage = (event: MessageEvent<BroadcastMessage>) => this.onBroadcast(event.data);
      this.cleanups.push(() => this.channel?.close());
    }
    this.fetch = createAuthFetch(this);
    this.ready = this.init();
  }

  private async init(): Promise<void> {
    const o = this.options;
    this.handle = await registerWorker(o.scriptUrl ?? '/sw.js', o.scope, o.readyTimeoutMs ?? 5000, o.worker !== undefined);
    const handle = this.handle;
    if (handle) this.cleanups.push(() => handle.dispose());
    if (!this.handle) {
      this.emitter.emit('error', { error: new TokenBrokerError('worker-unavailable', 'service workers are unavailable here') });
      this.emitter.emit('control', { controlled: false });
      return;
    }
    if (o.worker) await this.call('configure', [o.worker]);
    const container = navigator.serviceWorker;
    const onChange = (): void => this.emitter.emit('control', { controlled: isControlled() });
    container.addEventListener('controllerchange', onChange);
    this.cleanups.push(() => container.removeEventListener('controllerchange', onChange));
    if (!isControlled()) {
      // First visit or hard reload: ask the active worker to claim this page (never reload).
      await this.call('claim', []).catch(() => undefined);
      await waitForControl(o.readyTimeoutMs ?? 5000);
    }
    this.emitter.emit('control', { controlled: isControlled() });
    if (o.proactiveWakeUps !== false) {
      this.scheduler.start();
      this.cleanups.push(() => this.scheduler.stop());
    }
  }

  private onBroadcast(message: BroadcastMessage): void {
    // The wire shape carries no `name`, so toTokenBrokerError would turn every code into 'internal'.
    if (message.type === 'error') this.emitter.emit('error', { error: fromSerializedError(message.error) });
    else if (message.type === 'logout') this.emitter.emit('logout', { reason: message.reason });
    else {
      const { type, ...payload } = message;
      if (type === 'refreshed') this.emitter.emit('refreshed', payload as typeof message);
      else this.emitter.emit('session', payload);
      void this.call('status', []).then((s) => this.scheduler.plan(s), () => undefined);
    }
  }

  private call<M extends BrokerMethod>(method: M, args: Parameters<typeof callWorker<M>>[1]) {
    if (this.destroyed) return Promise.reject(new TokenBrokerError('destroyed', 'the client was destroyed'));
    const handle = this.handle;
    // setSession is the one call not repeated after a timeout: a slow worker would store the tokens twice.
    const retries = method === 'setSession' ? 0 : 1;
    return callWorker(method, args, { target: () => handle?.target() ?? null, timeoutMs: this.options.callTimeoutMs ?? 10_000, retries });
  }

  private withControl(status: BrokerStatus): ClientStatus {
    return { ...status, controlled: isControlled() };
  }

  controlled(): boolean {
    return isControlled();
  }

  async setSession(tokens: SessionTokens): Promise<ClientStatus> {
    await this.ready;
    return this.withControl(await this.call('setSession', [tokens]));
  }

  async tokenInfo(): Promise<AccessTokenInfo> {
    await this.ready;
    return this.call('getAccessToken', [{}]);
  }

  async getAccessToken(): Promise<string> {
    return (await this.tokenInfo()).accessToken;
  }

  async recover(seenGeneration: number): Promise<AccessTokenInfo> {
    await this.call('refresh', [{ trigger: 'unauthorized', seenGeneration }]);
    return this.call('getAccessToken', [{}]);
  }

  async refresh(): Promise<ClientStatus> {
    await this.ready;
    // Passing the generation we saw makes a retried call harmless: it cannot refresh twice.
    const { generation } = await this.call('status', []);
    return this.withControl(await this.call('refresh', [{ trigger: 'explicit', seenGeneration: generation }]));
  }

  async logout(): Promise<void> {
    await this.ready;
    await this.call('logout', []);
  }

  async status(): Promise<ClientStatus> {
    await this.ready;
    return this.withControl(await this.call('status', []));
  }

  on<E extends EventName>(event: E, handler: Handler<E>): () => void {
    const off = this.emitter.on(event, handler);
    let active = true;
    // The startup decision was made before the app could subscribe: replay it once.
    if (event === 'control') {
      void this.ready.then(() => active && !this.destroyed && (handler as Handler<'control'>)({ controlled: isControlled() }));
    }
    return () => {
      active = false;
      off();
    };
  }

  attachAxios(instance: AxiosLike): () => void {
    const detach = attachAxios(instance, this);
    this.cleanups.push(detach);
    return detach;
  }

  destroy(): void {
    this.destroyed = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.emitter.clear();
  }
}

/**
 * Registers the broker's worker and returns the page client once the worker is ready
 * (or known to be unavailable: then `status()` rejects with `worker-unavailable` and
 * an `error` event says so).
 *
 * @example
 * const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
 * broker.on('logout', ({ reason }) => showLogin(reason));
 */
export async function registerTokenBroker(options: RegisterOptions = {}): Promise<TokenBrokerClient> {
  const client = new BrokerClient(options);
  await client.ready;
  return client;
}
