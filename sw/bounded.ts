import { TokenBrokerError } from '../shared/errors.js';

/** Rejects with the signal's reason once it aborts. */
export class Aborted extends Error {}

/**
 * Settles with `promise`, or rejects after `ms` with `refresh-unavailable` (the promise keeps
 * running: callers stop waiting, the work goes on), or rejects with `Aborted` as soon as
 * `signal` aborts.
 */
export function bounded<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const limits = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TokenBrokerError('refresh-unavailable', 'timed out waiting for the refresh')),
      ms,
    );
    if (!signal) return;
    onAbort = () => reject(new Aborted('the request was aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, limits]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}
