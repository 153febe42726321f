import type { BrokerStatus } from '../shared/protocol.js';

export const LEADER_LOCK = 'sw-token-broker:leader';

/**
 * Page-side wake-ups for the proactive refresh. A worker's own timers die with it
 * (PITFALLS §1), so one leader tab (holding a Web Lock; the others queue behind it)
 * posts `wake` to the worker when the refresh falls due and when the network returns.
 * The worker's lock dedupes anyway; the leader only keeps the message count down.
 */
export class WakeScheduler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private release: (() => void) | undefined;
  private leader = false;
  private stopped = false;
  private idleRetries = 0;

  constructor(private readonly wake: () => Promise<BrokerStatus>) {}

  start(): void {
    const locks = globalThis.navigator?.locks;
    globalThis.addEventListener?.('online', this.onOnline);
    if (!locks) {
      this.becomeLeader();
      return;
    }
    void locks
      .request(LEADER_LOCK, () => {
        if (this.stopped) return undefined;
        this.becomeLeader();
        return new Promise<void>((resolve) => (this.release = resolve));
      })
      .catch(() => undefined);
  }

  /** Re-plans from a fresh status (after login, refresh or any call). */
  plan(status: BrokerStatus): void {
    if (!this.leader || this.stopped) return;
    clearTimeout(this.timer);
    if (!status.loggedIn || status.refreshDueIn === null) return;
    let delay: number;
    if (status.refreshDueIn > 0) {
      this.idleRetries = 0;
      delay = status.refreshDueIn + 20;
    } else {
      // Due but not done yet (a refresh is running or backing off): look again soon, less often each time.
      delay = Math.min(30_000, 1000 * 2 ** this.idleRetries++);
    }
    this.timer = setTimeout(() => this.tick(), delay);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    globalThis.removeEventListener?.('online', this.onOnline);
    this.release?.();
  }

  private becomeLeader(): void {
    this.leader = true;
    this.tick();
  }

  private readonly onOnline = (): void => {
    if (this.leader) this.tick();
  };

  private tick(): void {
    if (this.stopped) return;
    this.wake().then(
      (status) => this.plan(status),
      () => this.plan({ loggedIn: true, refreshDueIn: 0 } as BrokerStatus),
    );
  }
}
