import { TokenBrokerError } from '../shared/errors.js';
import { withTimeout } from '../shared/timeout.js';

/** Rejects with the signal's reason once it aborts. */
export class Aborted extends Error {}

/**
 * Settles with `promise`, or rejects after `ms` with `refresh-unavailable` (the promise keeps
 * running: callers stop waiting, the work goes on), or rejects with `Aborted` as soon as
 * `signal` aborts.
 */
export function bounded<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return withTimeout(signal ? abortable(promise, signal) : promise, ms, () => {
    throw new TokenBrokerError('refresh-unavailable', 'timed out waiting for the refresh');
  });
}

/** Settles with `promise`, or rejects with `Aborted` as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Aborted('the request was aborted'));
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
