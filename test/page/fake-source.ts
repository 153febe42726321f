import { vi } from 'vitest';
import type { AccessTokenInfo } from '../../shared/protocol.js';
import type { PageRoute, WireRequest, WireRequestHead, WireResponse } from '../../shared/wire.js';
import type { TokenBrokerError } from '../../shared/errors.js';
import type { PageLog } from '../../src/debug.js';
import type { TokenSource } from '../../src/token-source.js';

export const APP = 'https://app.test';

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A TokenSource as the page client would be one: generation N holds token `at-N`, and
 * `recover(seen)` rotates only when `seen` is still the current generation (the worker's rule).
 * `route` plays the worker's routing rule for `${APP}` with `apiPaths: ['/api/']`, login
 * endpoint `/api/auth/login` (captured: `captureLogin` answers without a refresh token) and
 * `respectExistingAuthorization` from `state`.
 */
export function fakeSource(options: { controlled?: boolean } = {}) {
  const state = {
    generation: 1,
    controlled: options.controlled ?? false,
    failTokenInfo: false,
    failRecover: false,
    respectExistingAuthorization: true,
  };
  const info = (): AccessTokenInfo => ({
    accessToken: `at-${state.generation}`,
    generation: state.generation,
    session: 'login-1',
    expiresIn: 60_000,
  });
  const tokenInfo = vi.fn(async () => {
    if (state.failTokenInfo) throw new Error('no session');
    return info();
  });
  const source = {
    ready: vi.fn(async (): Promise<TokenBrokerError | null> => null),
    failClosed: false,
    log: undefined as PageLog | undefined,
    controlled: () => state.controlled,
    /** The token lookups `route` made (only for requests that get the token). */
    tokenInfo,
    route: vi.fn(async (head: WireRequestHead): Promise<PageRoute> => {
      const url = new URL(head.url);
      if (
        state.respectExistingAuthorization &&
        head.headers.some(([name]) => name.toLowerCase() === 'authorization')
      )
        return { route: 'pass', reason: 'own-authorization' };
      if (url.origin !== APP || !url.pathname.startsWith('/api/'))
        return { route: 'pass', reason: 'out-of-scope' };
      if (url.pathname === '/api/auth/login')
        return head.method === 'POST' ? { route: 'login' } : { route: 'pass', reason: 'out-of-scope' };
      return { route: 'token', token: await tokenInfo().catch(() => null) };
    }),
    captureLogin: vi.fn(async (request: WireRequest): Promise<WireResponse> => {
      const body = new TextEncoder().encode(
        JSON.stringify({
          access_token: 'at-login',
          expires_in: 60,
          echoed: request.body ? new TextDecoder().decode(request.body) : null,
        }),
      );
      return {
        status: 200,
        statusText: 'OK',
        headers: [['content-type', 'application/json']],
        body: body.buffer,
      };
    }),
    abort: vi.fn((_id: string) => undefined),
    recover: vi.fn(async (seen: Pick<AccessTokenInfo, 'generation' | 'session'>) => {
      if (state.failRecover) throw new Error('refresh failed');
      if (seen.generation === state.generation) state.generation++;
      return info();
    }),
  };
  const typed: TokenSource = source;
  return { source: typed as unknown as typeof source, state };
}

/** Runs queued tasks and microtasks a few times over (no timers involved). */
export async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
