import type { MalformedVariant, RefreshFault, RefreshLatency } from './types.js';

/** Upper bound for every artificial wait, so a forgotten setting cannot wedge a test run. */
export const MAX_DELAY_MS = 60_000;

/** Every malformed-body fault the server can inject. */
export const MALFORMED_VARIANTS: readonly MalformedVariant[] = [
  'not-json',
  'missing-token',
  'empty-token',
  'non-string-token',
  'header-unsafe',
  'negative-expires',
  'absurd-expires',
  'huge',
];

/** Faults and latency applied to refresh calls, in the order the calls arrive. */
export class RefreshFaults {
  private readonly queue: RefreshFault[] = [];
  private latency: Required<RefreshLatency> = { beforeMs: 0, afterMs: 0 };

  /** Appends to the queue; throws a TypeError on a fault that is not well-formed. */
  inject(faults: readonly unknown[]): void {
    const checked = faults.map(checkFault);
    this.queue.push(...checked);
  }

  take(): RefreshFault | undefined {
    return this.queue.shift();
  }

  /** Replaces both delays; an omitted one becomes 0. */
  setLatency(latency: RefreshLatency): void {
    this.latency = { beforeMs: clampDelay(latency.beforeMs), afterMs: clampDelay(latency.afterMs) };
  }

  get beforeMs(): number {
    return this.latency.beforeMs;
  }

  get afterMs(): number {
    return this.latency.afterMs;
  }
}

export function clampDelay(ms: unknown): number {
  if (ms === undefined) return 0;
  if (typeof ms !== 'number' || Number.isNaN(ms)) throw new TypeError('delay must be a number');
  return Math.min(Math.max(ms, 0), MAX_DELAY_MS);
}

function checkFault(value: unknown): RefreshFault {
  if (typeof value !== 'object' || value === null) throw new TypeError('fault must be an object');
  const f = value as Record<string, unknown>;
  switch (f.kind) {
    case 'hang':
    case 'drop':
      return { kind: f.kind };
    case 'status': {
      const { status, retryAfterSeconds } = f;
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
        throw new TypeError('status fault needs an integer status in 200..599');
      }
      if (retryAfterSeconds === undefined) return { kind: 'status', status };
      if (typeof retryAfterSeconds !== 'number' || !(retryAfterSeconds >= 0)) {
        throw new TypeError('retryAfterSeconds must be a non-negative number');
      }
      return { kind: 'status', status, retryAfterSeconds };
    }
    case 'slow':
      return { kind: 'slow', ms: clampDelay(f.ms) };
    case 'bad-expiry':
      return { kind: 'bad-expiry', expiresIn: f.expiresIn };
    case 'malformed': {
      const variant = MALFORMED_VARIANTS.find((v) => v === f.variant);
      if (!variant) throw new TypeError(`unknown malformed variant: ${String(f.variant)}`);
      return { kind: 'malformed', variant };
    }
    default:
      throw new TypeError(`unknown fault kind: ${String(f.kind)}`);
  }
}
