import { TokenBrokerError } from '../shared/errors.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `failures` (1-based): doubling from `initialMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so tabs and workers spread out
 * while the delay never collapses to zero.
 */
export function backoffDelay(
  failures: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** `Retry-After` as milliseconds (delta-seconds or HTTP date), or undefined. Capped at one hour. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  let ms: number;
  if (Number.isFinite(seconds)) ms = seconds * 1000;
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(Math.max(0, ms), 3600_000);
}

/**
 * Longest wait between attempts when the token endpoint could not be reached at all. A server
 * that is down cannot be overloaded by a probe a second, and a longer backoff only delays
 * recovery: with a dead upstream the browser still believes it is online, so nothing else
 * tells the worker the server is back.
 */
export const UNREACHABLE_RETRY_MS = 1000;

export interface RefreshBackoffDeps {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

/**
 * When the next refresh attempt of one login lineage may go out (a new login gets a new one,
 * so it starts clean). Our own backoff ends early on evidence that the network is back; a
 * server's `Retry-After` is kept until it passes.
 */
export class RefreshBackoff {
  #failures = 0;
  /** Our own backoff: reset by evidence that the network is back. */
  #backoffUntil = 0;
  /** The server's `Retry-After`: kept until it passes or the lineage ends. */
  #retryAfterUntil = 0;
  /** Last failure code reported to tabs, so a run of `offline` failures is reported once. */
  #reported: string | null = null;
  /** Backoff sleeps to cut short when the network is seen again. */
  readonly #sleepers = new Set<() => void>();

  readonly #deps: RefreshBackoffDeps;

  constructor(
    readonly lineage: string,
    deps: RefreshBackoffDeps,
  ) {
    this.#deps = deps;
  }

  /** Evidence the network works (a response arrived, `online` fired): our own backoff ends. */
  networkBack(): void {
    this.#failures = 0;
    this.#backoffUntil = 0;
    this.#reported = null;
    for (const wake of this.#sleepers) wake();
  }

  /** A refresh stored a session: every wait is over. */
  succeeded(): void {
    this.#failures = 0;
    this.#backoffUntil = 0;
    this.#retryAfterUntil = 0;
    this.#reported = null;
  }

  /** An attempt failed: the next waits (doubling, jittered; at most `UNREACHABLE_RETRY_MS` when nothing answered). */
  failed(options: BackoffOptions, retryAfterMs: number | undefined, unreachable = false): void {
    this.#failures++;
    const now = this.#deps.now();
    const delay = backoffDelay(this.#failures, options, this.#deps.random);
    this.#backoffUntil = now + (unreachable ? Math.min(delay, UNREACHABLE_RETRY_MS) : delay);
    if (retryAfterMs !== undefined) this.#retryAfterUntil = now + retryAfterMs;
  }

  /** The earliest moment the next attempt may go out (now or earlier when no wait is due). */
  nextAttemptAt(): number {
    return Math.max(this.#backoffUntil, this.#retryAfterUntil);
  }

  /** Whether tabs should hear of this failure: `offline` once per transition, every other code each time. */
  shouldReport(code: string): boolean {
    if (code === 'offline' && this.#reported === 'offline') return false;
    this.#reported = code;
    return true;
  }

  /**
   * Sleeps until the backoff (ours or the server's) is over; `networkBack()` ends ours early.
   * A wait longer than `maxMs` (a long `Retry-After`) is not slept: it throws `refresh-unavailable`.
   */
  async waitOut(maxMs: number): Promise<void> {
    for (;;) {
      const wait = this.nextAttemptAt() - this.#deps.now();
      if (wait <= 0) return;
      if (wait > maxMs) {
        throw new TokenBrokerError('refresh-unavailable', 'token endpoint asked to retry later', {
          retryAfter: wait / 1000,
        });
      }
      let wake: () => void = () => undefined;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
        this.#sleepers.add(resolve);
      });
      await Promise.race([this.#deps.sleep(wait), woken]).finally(() => this.#sleepers.delete(wake));
    }
  }
}
