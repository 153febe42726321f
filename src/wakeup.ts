import { brokerNames } from '../shared/names.js';
import type { BrokerStatus } from '../shared/protocol.js';

/**
 * The longest delay a timer holds: browsers keep it in a signed 32-bit integer and fire a
 * longer one at once (a 30-day token made an idle tab post ~2,000 wake-ups a second).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WakeScheduler {
  start(): void;
  /** Re-plans from a fresh status (after login, refresh or any call). */
  plan(status: BrokerStatus): void;
  stop(): void;
}

/**
 * Page-side wake-ups for the proactive refresh. A worker's own timers die with it
 * (docs/platform-facts.md §1), so one leader tab (holding a Web Lock; the others queue behind it)
 * posts `wake` to the worker when the refresh falls due and when the network returns.
 * The worker's lock dedupes anyway; the leader only keeps the message count down.
 */
export function createWakeScheduler(
  wake: () => Promise<BrokerStatus>,
  leaderLock: string = brokerNames().leaderLock,
): WakeScheduler {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let release: (() => void) | undefined;
  let leader = false;
  let stopped = false;
  let idleRetries = 0;

  const tick = (): void => {
    if (!stopped) wake().then(plan, () => plan({ loggedIn: true, refreshDueIn: 0 } as BrokerStatus));
  };
  const onOnline = (): void => {
    if (leader) tick();
  };
  const becomeLeader = (): void => {
    leader = true;
    tick();
  };

  function plan(status: BrokerStatus): void {
    if (!leader || stopped) return;
    clearTimeout(timer);
    if (!status.loggedIn || status.refreshDueIn === null) return;
    let delay: number;
    if (status.refreshDueIn > 0) {
      idleRetries = 0;
      delay = status.refreshDueIn + 20;
    } else {
      // Due but not done yet (a refresh is running or backing off): look again soon, less often each time.
      delay = Math.min(30_000, 1000 * 2 ** idleRetries++);
    }
    wakeAt(Date.now() + delay);
  }

  /** Ticks at `at`, in steps no timer can overflow; the steps in between post nothing. */
  function wakeAt(at: number): void {
    const left = at - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(wakeAt, MAX_TIMER_MS, at) : setTimeout(tick, Math.max(0, left));
  }

  return {
    start() {
      const locks = globalThis.navigator?.locks;
      globalThis.addEventListener?.('online', onOnline);
      if (!locks) return becomeLeader();
      locks
        .request(leaderLock, () => {
          if (stopped) return undefined;
          becomeLeader();
          return new Promise<void>((resolve) => (release = resolve));
        })
        .catch(() => undefined);
    },
    plan,
    stop() {
      stopped = true;
      clearTimeout(timer);
      globalThis.removeEventListener?.('online', onOnline);
      release?.();
    },
  };
}
