declare let self: ServiceWorkerGlobalScope;

/**
 * Calls `skipWaiting()` now, then again every `intervalMs` until this version's `activate`
 * event (at most `attempts` more times). Returns a function that stops the retries.
 *
 * Why more than once: Chromium (observed on 156) stops the old worker to hand over, and when a
 * fetch from a busy tab restarts the old worker in that moment it abandons the activation and
 * parks this version in `waiting` until every tab closes (e2e/worker-update.spec.ts). Calling
 * `skipWaiting()` again resumes the hand-over. Best effort: the timer dies with this worker if
 * the browser stops it while it waits (docs/platform-facts.md §1).
 */
export function skipWaitingUntilActive(attempts = 30, intervalMs = 1000): () => void {
  let left = attempts;
  const stop = (): void => {
    clearInterval(timer);
    self.removeEventListener('activate', stop);
  };
  const timer = setInterval(() => {
    if (left-- <= 0) stop();
    else void self.skipWaiting();
  }, intervalMs);
  self.addEventListener('activate', stop);
  void self.skipWaiting();
  return stop;
}
