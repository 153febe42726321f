import { TokenBrokerError } from '../shared/errors.js';
import { brokerNames } from '../shared/names.js';

/** Runs `fn` while holding the broker's exclusive lock. Injectable for tests. */
export type LockFn = <T>(fn: () => Promise<T>) => Promise<T>;

/** The default broker's refresh lock (`brokerNames().refreshLock`), derived when first asked, not at import. */
export const defaultLockName = (): string => brokerNames().refreshLock;

/**
 * An origin-wide Web Lock (shared by pages, this worker and an old or new worker
 * version, docs/platform-facts.md §4) with an acquisition timeout. Without `navigator.locks`,
 * callers rely on the in-worker single flight alone.
 */
/** True where `navigator.locks` exists, i.e. the lock excludes every context of the origin. */
export function hasWebLocks(): boolean {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks !== undefined;
}

export function createWebLock(timeoutMs: () => number, name: string = defaultLockName()): LockFn {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
    if (!locks) return fn();
    const signal = AbortSignal.timeout(timeoutMs());
    let acquired = false;
    try {
      return await locks.request(name, { signal }, () => {
        acquired = true;
        return fn();
      });
    } catch (cause) {
      if (!acquired) {
        throw new TokenBrokerError('refresh-unavailable', 'timed out waiting for the refresh lock', {
          cause,
        });
      }
      throw cause;
    }
  };
}
