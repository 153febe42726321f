import type { TokenBrokerClient } from '../../src/index.js';
import type { ClassicClient } from './classic-client.js';
import { startRaceOnServer } from './lab-api.js';
import { callId, type TabLabel } from './tab-label.js';

/** Requests each tab fires at the race's moment, per side. */
export const BURST = 8;

const CHANNEL = 'sw-token-broker-demo.race';

type RaceMessage = { type: 'armed'; at: number; by: string } | { type: 'go'; at: number; by: string };

export interface RaceHooks {
  /** The race is set for `at` (a countdown may show). */
  armed(at: number, by: string): void;
  /** This tab fired at the race's moment `at` (server clock); `done` settles when its requests did. */
  fired(at: number, done: Promise<string>): void;
}

/**
 * Every open tab fires at one moment, coordinated over a BroadcastChannel: the initiating tab
 * waits until the broker's proactive refresh falls due, tells the server (every token issued
 * so far now answers 401; refresh calls get a mobile network's latency), then says "go".
 * Each tab then sends a burst of API calls through the broker (the proactive refresh starts on
 * the first of them, the 401s join it) and, side by side, the classic client's proactive refresh
 * and burst.
 */
export function createRace(
  broker: TokenBrokerClient,
  classic: ClassicClient,
  tab: TabLabel,
  sideBySide: () => boolean,
  hooks: RaceHooks,
) {
  const channel = new BroadcastChannel(CHANNEL);
  let timer: ReturnType<typeof setTimeout> | undefined;

  const fire = (at: number): void => hooks.fired(at, burst());

  async function burst(): Promise<string> {
    const brokerCalls = Array.from({ length: BURST }, () =>
      fetch('/api/me', { headers: { 'X-Demo-Tab': tab.id, 'X-Demo-Call': callId(tab) } }),
    );
    const classicCalls =
      sideBySide() && classic.loggedIn()
        ? [classic.refresh('proactive'), ...Array.from({ length: BURST }, () => classic.get('me'))]
        : [];
    const ok = (results: PromiseSettledResult<unknown>[]): number =>
      results.filter((r) => r.status === 'fulfilled' && (!(r.value instanceof Response) || r.value.ok)).length;
    const [b, c] = await Promise.all([Promise.allSettled(brokerCalls), Promise.allSettled(classicCalls)]);
    const classicPart = classicCalls.length ? `, classic ${ok(c.slice(1))}/${BURST} ok` : '';
    return `broker ${ok(b)}/${BURST} ok${classicPart}`;
  }

  channel.onmessage = ({ data }: MessageEvent<RaceMessage>) => {
    if (data?.type === 'armed') hooks.armed(data.at, data.by);
    else if (data?.type === 'go') fire(data.at);
  };

  return {
    /** Arms the race in every tab; throws when the broker has no session. */
    async start(): Promise<void> {
      const status = await broker.status();
      if (!status.loggedIn || status.refreshDueIn === null) throw new Error('log in first');
      // A few ms past due, so the first request of the burst finds the proactive refresh due.
      const at = Date.now() + Math.max(0, status.refreshDueIn) + 5;
      channel.postMessage({ type: 'armed', at, by: tab.id } satisfies RaceMessage);
      hooks.armed(at, tab.id);
      clearTimeout(timer);
      timer = setTimeout(() => {
        void startRaceOnServer().then((serverAt) => {
          channel.postMessage({ type: 'go', at: serverAt, by: tab.id } satisfies RaceMessage);
          fire(serverAt);
        });
      }, at - Date.now());
    },
  };
}
