import { vi } from 'vitest';
import type { AccessTokenInfo } from '../../shared/protocol.js';
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
 */
export function fakeSource(options: { controlled?: boolean } = {}) {
  const state = { generation: 1, controlled: options.controlled ?? false, failTokenInfo: false, failRecover: false };
  const info = (): AccessTokenInfo => ({ accessToken: `at-${state.generation}`, generation: state.generation, session: 'login-1', expiresIn: 60_000 });
  const source = {
    controlled: () => state.controlled,
    inScope: (url: string) => new URL(url).origin === APP && new URL(url).pathname.startsWith('/api/'),
    tokenInfo: vi.fn(async () => {
      if (state.failTokenInfo) throw new Error('no session');
      return info();
    }),
    abort: vi.fn((_id: string) => undefined),
    recover: vi.fn(async (seen: number) => {
      if (state.failRecover) throw new Error('refresh failed');
      if (seen === state.generation) state.generation++;
      return info();
    }),
  } satisfies TokenSource;
  return { source, state };
}

/** Runs queued tasks and microtasks a few times over (no timers involved). */
export async function flush(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
