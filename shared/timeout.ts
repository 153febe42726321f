// shared/ is type-checked without the DOM and WebWorker libraries; both globals have these.
declare function setTimeout(handler: () => void, ms: number): unknown;
declare function clearTimeout(id: unknown): void;

/**
 * Settles like `promise`, unless `ms` pass first: then with what `late()` returns, or rejected
 * with what it throws. `promise` itself runs on; the timer ends as soon as either settles.
 *
 * @example
 * await withTimeout(call, 5_000, () => { throw new TokenBrokerError('worker-timeout', 'no answer'); });
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: unknown;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  }).then(late);
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
