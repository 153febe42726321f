import 'fake-indexeddb/auto';
import type { BroadcastMessage } from '../../shared/protocol.js';
import type { Broadcaster } from '../../sw/broadcast.js';
import { Broker } from '../../sw/broker.js';
import { forwardWithToken } from '../../sw/forward.js';
import { DEFAULT_LIMITS, type ConfigLimits } from '../../sw/config-rules.js';
import type { LockFn } from '../../sw/lock.js';
import type { TokenBrokerConfig } from '../../sw/settings.js';
import { createIdbStore, type SessionStore, type StoredSession } from '../../sw/store.js';

export const ORIGIN = 'https://app.example';
export const START = Date.UTC(2030, 0, 1);

export const CONFIG: TokenBrokerConfig = {
  tokenEndpoint: '/api/auth/refresh',
  loginEndpoint: '/api/auth/login',
  revocationEndpoint: '/api/auth/revoke',
  apiPaths: ['/api/'],
  refreshTimeoutSeconds: 1,
  requestWaitSeconds: 2,
};

/** Timing bounds for a virtual clock: sub-second timeouts keep the tests fast. */
export const FAST_LIMITS: ConfigLimits = {
  ...DEFAULT_LIMITS,
  refreshTimeoutSeconds: [0.01, 60],
  requestWaitSeconds: [0.01, 60],
};

/** A fresh fake-indexeddb database per call, with every store call counted. */
export function countingStore(name = `sw-test-${crypto.randomUUID()}`) {
  const inner = createIdbStore(name);
  const counts = { read: 0, write: 0, clear: 0, update: 0, readConfig: 0, writeConfig: 0 };
  const store: SessionStore = {
    read: () => (counts.read++, inner.read()),
    write: (s) => (counts.write++, inner.write(s)),
    clear: () => (counts.clear++, inner.clear()),
    update: (decide) => (counts.update++, inner.update(decide)),
    readConfig: () => (counts.readConfig++, inner.readConfig()),
    writeConfig: (c) => (counts.writeConfig++, inner.writeConfig(c)),
  };
  return { store, counts, name };
}

/** In-memory FIFO mutex standing in for `navigator.locks` (shared by brokers to share the lock). */
export class Mutex {
  acquisitions = 0;
  private tail: Promise<unknown> = Promise.resolve();
  readonly lock: LockFn = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = this.tail.then(() => {
      this.acquisitions++;
      return fn();
    });
    this.tail = run.catch(() => undefined);
    return run;
  };
}

/** No `navigator.locks`: the in-worker single flight alone. */
export const noLock: LockFn = (fn) => fn();

/** Virtual clock: `sleep` records and advances time instantly. */
export class TestClock {
  t = START;
  rand = 0.5;
  readonly sleeps: number[] = [];
  readonly now = (): number => this.t;
  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.t += ms;
  };
  readonly random = (): number => this.rand;
}

/** A BroadcastChannel stand-in: records every post, delivers it (async) to the other endpoints. */
export class Bus {
  readonly messages: BroadcastMessage[] = [];
  private readonly handlers = new Map<number, Set<(m: BroadcastMessage) => void>>();
  private ids = 0;
  endpoint(): Broadcaster & { posted: BroadcastMessage[] } {
    const id = this.ids++;
    const mine = new Set<(m: BroadcastMessage) => void>();
    this.handlers.set(id, mine);
    const posted: BroadcastMessage[] = [];
    return {
      posted,
      post: (message) => {
        posted.push(message);
        this.messages.push(message);
        for (const [other, set] of this.handlers) {
          if (other !== id) for (const h of set) queueMicrotask(() => h(structuredClone(message)));
        }
      },
      listen: (handler) => {
        mine.add(handler);
        return () => mine.delete(handler);
      },
    };
  }
  of(type: BroadcastMessage['type']): BroadcastMessage[] {
    return this.messages.filter((m) => m.type === type);
  }
}

export type TokenReply =
  | 'ok'
  | 'slow'
  | 'network'
  | 'hang'
  | 'revoked'
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | ((request: Request) => Response | Promise<Response>);

export interface ApiCall {
  request: Request;
  auth: string | null;
  body: Uint8Array<ArrayBuffer>;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/**
 * The token server and API behind the worker. It rotates refresh tokens, counts every
 * refresh request with the refresh token it carried, and revokes the family on reuse.
 */
export class FakeBackend {
  accessToken = 'at-0';
  refreshToken = 'rt-0';
  rotate = true;
  expiresIn: number | undefined = 3600;
  revoked = false;
  /** Headers of a successful refresh answer (e.g. a skewed `Date`). */
  successHeaders: Record<string, string> = {};
  /** Every refresh request received, with the refresh token it carried. */
  readonly refreshes: Array<{ refreshToken: string | null; request: Request; body: string }> = [];
  /** Refresh tokens the server accepted and rotated away. */
  readonly committed: string[] = [];
  /** Refresh tokens presented again after the server had rotated them. */
  readonly reuses: string[] = [];
  /** Refresh requests whose token was not the server's current one when they arrived. */
  readonly stale: Array<string | null> = [];
  /** How many deliberate revocations ('revoked' replies) were served. */
  revokedServed = 0;
  readonly replies: TokenReply[] = [];
  readonly apiCalls: ApiCall[] = [];
  readonly revocations: string[] = [];
  /** Every token request waits for this before answering (if set). */
  gate: Promise<void> | undefined;
  api: (request: Request, body: Uint8Array<ArrayBuffer>) => Response | Promise<Response> = (request) =>
    request.headers.get('authorization') === `Bearer ${this.accessToken}`
      ? json({ ok: true })
      : json({ error: 'invalid_token' }, 401);
  private seq = 0;

  /** Issues a fresh token pair, as a login would. */
  issue(): { accessToken: string; refreshToken: string } {
    this.seq++;
    this.accessToken = `at-${this.seq}`;
    this.refreshToken = `rt-${this.seq}`;
    return { accessToken: this.accessToken, refreshToken: this.refreshToken };
  }

  get refreshCount(): number {
    return this.refreshes.length;
  }

  readonly fetch = (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    if (path === '/api/auth/refresh' || path === '/auth/v1/token' || path === '/oauth/token')
      return this.token(request);
    if (path === '/api/auth/revoke') {
      this.revocations.push(new URLSearchParams(await request.text()).get('token') ?? '');
      return new Response(null, { status: 200 });
    }
    if (path === '/api/auth/login') return json({ ...this.pair(this.issue()), expires_in: this.expiresIn });
    const body = new Uint8Array(await request.arrayBuffer());
    this.apiCalls.push({ request, auth: request.headers.get('authorization'), body });
    return this.api(request, body);
  }) as typeof fetch;

  private pair(t: { accessToken: string; refreshToken: string }) {
    return { access_token: t.accessToken, refresh_token: t.refreshToken, token_type: 'Bearer' };
  }

  private async token(request: Request): Promise<Response> {
    const text = await request.clone().text();
    const type = request.headers.get('content-type') ?? '';
    let refreshToken: string | null = null;
    if (type.includes('json'))
      refreshToken = (JSON.parse(text) as { refresh_token?: string }).refresh_token ?? null;
    else if (type.includes('form')) refreshToken = new URLSearchParams(text).get('refresh_token');
    this.refreshes.push({ refreshToken, request, body: text });
    if (refreshToken !== this.refreshToken) this.stale.push(refreshToken);
    const reply = this.replies.shift() ?? 'ok';
    if (this.gate) await this.gate;
    if (typeof reply === 'function') return reply(request);
    if (typeof reply === 'object') return json(reply.body ?? {}, reply.status, reply.headers);
    if (reply === 'network') throw new TypeError('fetch failed');
    if (reply === 'hang') {
      return new Promise((_, reject) => {
        const fail = (): void => reject(request.signal.reason);
        if (request.signal.aborted) fail();
        else request.signal.addEventListener('abort', fail);
      });
    }
    if (reply === 'revoked') {
      this.revoked = true;
      this.revokedServed++;
      return json({ error: 'invalid_grant', error_description: 'revoked' }, 400);
    }
    if (reply === 'slow') await new Promise((r) => setTimeout(r, 5));
    // The server commits only if the client is still there to hear the answer.
    if (request.signal.aborted) throw request.signal.reason;
    if (this.revoked || refreshToken !== this.refreshToken) {
      if (refreshToken !== null && this.committed.includes(refreshToken)) {
        this.reuses.push(refreshToken);
        this.revoked = true;
      }
      return json({ error: 'invalid_grant' }, 400);
    }
    this.committed.push(refreshToken);
    const previous = this.refreshToken;
    const next = this.issue();
    if (!this.rotate) this.refreshToken = previous;
    const body: Record<string, unknown> = { access_token: next.accessToken, token_type: 'Bearer' };
    if (this.rotate) body.refresh_token = next.refreshToken;
    if (this.expiresIn !== undefined) body.expires_in = this.expiresIn;
    return json(body, 200, this.successHeaders);
  }
}

export interface RigOptions {
  config?: Partial<TokenBrokerConfig>;
  lock?: LockFn;
  isOnline?: () => boolean;
  /** Give the broker a broadcast channel of its own, so it hears nothing from the others. */
  isolated?: boolean;
  /** The worker's network instead of the backend's. */
  fetch?: typeof fetch;
  /** Whether `lock` stands for an origin-wide Web Lock. @default true (false with `noLock`) */
  lockIsShared?: boolean;
  /** Real milliseconds an unanswered refresh request may run before it counts as lost. @default 5000 */
  hardCapMs?: number;
  /** Virtual milliseconds one refresh's attempts may span. @default REFRESH_BUDGET_MS */
  refreshBudgetMs?: number;
}

/** One worker's world: backend, store, clock, lock and broadcast bus, plus brokers over them. */
export class Rig {
  readonly backend = new FakeBackend();
  readonly clock = new TestClock();
  readonly bus = new Bus();
  readonly mutex = new Mutex();
  readonly db = countingStore();
  readonly pending: Array<Promise<unknown>> = [];
  online = true;
  broker: Broker;

  constructor(private readonly options: RigOptions = {}) {
    this.broker = this.newBroker();
  }

  get store(): SessionStore {
    return this.db.store;
  }

  /** A broker over the same IndexedDB, lock and bus: a restarted worker or another version. */
  newBroker(overrides: RigOptions = {}): Broker {
    const options = { ...this.options, ...overrides };
    return new Broker({
      origin: ORIGIN,
      store: this.db.store,
      broadcaster: options.isolated ? new Bus().endpoint() : this.bus.endpoint(),
      fetch: options.fetch ?? this.backend.fetch,
      config: { ...CONFIG, ...options.config },
      lock: options.lock ?? this.mutex.lock,
      lockIsShared: options.lockIsShared ?? options.lock !== noLock,
      hardCapMs: options.hardCapMs ?? 5_000,
      ...(options.refreshBudgetMs === undefined ? {} : { refreshBudgetMs: options.refreshBudgetMs }),
      now: this.clock.now,
      sleep: this.clock.sleep,
      random: this.clock.random,
      isOnline: options.isOnline ?? (() => this.online),
      limits: FAST_LIMITS,
    });
  }

  /** Logs in through `setSession` with a fresh pair from the backend. */
  async login(expiresIn = 3600, broker = this.broker): Promise<void> {
    const pair = this.backend.issue();
    await broker.setSession({ ...pair, expiresIn });
  }

  forward(request: Request, broker = this.broker): Promise<Response> {
    return forwardWithToken(broker, request, (p) => void this.pending.push(p), this.backend.fetch);
  }

  stored(): Promise<StoredSession | null> {
    return this.db.store.read();
  }
}

export function apiRequest(path = '/api/data', init?: RequestInit): Request {
  return new Request(new URL(path, ORIGIN), init);
}

export function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export function jwt(claims: Record<string, unknown>): string {
  return `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.sig`;
}

/** Settles with `promise`, or fails the test if it takes longer than `ms` (a hang). */
export function within<T>(promise: Promise<T>, ms = 5_000, what = 'operation'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

/** Resolves once `condition()` holds (checked every macrotask), or fails after `ms`. */
export async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${condition.toString()}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A gate the fake token server waits on, so a refresh stays in flight until the test opens it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
