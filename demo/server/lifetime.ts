/**
 * Timers owned by one server instance. close() cancels them all at once, which is what lets
 * RunningServer.close() resolve quickly while refreshes are hanging or sleeping.
 */
export class Lifetime {
  private readonly controller = new AbortController();

  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Resolves true after `ms`, or false as soon as the server closes. */
  sleep(ms: number): Promise<boolean> {
    if (ms <= 0 || this.closed) return Promise.resolve(!this.closed);
    return new Promise((resolve) => {
      const signal = this.controller.signal;
      const onClose = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onClose);
        resolve(true);
      }, ms);
      // A sleeping request must not keep a test process alive on its own.
      timer.unref();
      signal.addEventListener('abort', onClose, { once: true });
    });
  }

  close(): void {
    this.controller.abort();
  }
}
