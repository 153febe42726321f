import type { TokenBrokerClient } from '../../src/index.js';
import type { ClassicClient } from './classic-client.js';
import { startRaceOnServer } from './lab-api.js';
import { callId, type TabLabel } from './tab-label.js';

/**
 * Requests each tab fires at the race's moment, per side. Few: a browser keeps six connections
 * to one host for every tab and the worker, and held requests occupy them.
 */
export const BURST = 3;
/** The burst's requests are held this long by the server and judged at the end (`/api/slow?validate=end`). */
const HOLD_MS = 1100;
/**
 * The burst leaves this long before the proactive refresh falls due: it must have left the
 * worker before (a request arriving during a refresh waits for it and never sees a 401), and
 * its 401s come back while that refresh is still running.
 */
const LEAD_MS = 800;

const CHANNEL = 'sw-token-broker-demo.race';

type RaceMessage = { type: 'armed'; due: number; by: string } | { type: 'go'; at: number; due: number };

export interface RaceHooks {
  /** The race is set for `due` (a countdown may show). */
  armed(due: number, by: string): void;
  /** This tab fired at the race's moment `at` (server clock); `done` settles when its requests did. */
  fired(at: number, done: Promise<string>): void;
}

/**
 * Every open tab fires at one moment, coordinated over a BroadcastChannel. The initiating tab
 * waits until just before the broker's proactive refresh falls due, tells the server (every
 * token issued so far answers 401 from now on; refresh calls get a mobile network's latency),
 * then says "go". Each tab sends a burst of API calls the server holds briefly and then refuses
 * (401), and as the refresh falls due fires the proactive refresh: the broker's proactive check
 * (any call to the worker runs it) and, side by side, the classic client's own proactive refresh
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

  const fire = (at: number, due: number): void => hooks.fired(at, burst(due));

  async function burst(due: number): Promise<string> {
    // One URL each: Chromium's HTTP cache sends identical GETs one after another.
    const slow = (i: number): string => `slow?ms=${HOLD_MS}&validate=end&n=${i}`;
    const withClassic = sideBySide() && classic.loggedIn();
    const brokerCalls = Array.from({ length: BURST }, (_, i) =>
      fetch(`/api/${slow(i)}`, { headers: { 'X-Demo-Tab': tab.id, 'X-Demo-Call': callId(tab) } }),
    );
    const classicCalls = withClassic ? Array.from({ length: BURST }, (_, i) => classic.get(slow(i))) : [];
    const proactive = new Promise<unknown>((resolve) =>
      setTimeout(
        () =>
          resolve(Promise.allSettled([broker.status(), withClassic ? classic.refresh('proactive') : null])),
        Math.max(0, due - Date.now()),
      ),
    );
    const ok = (results: PromiseSettledResult<Response>[]): number =>
      results.filter((r) => r.status === 'fulfilled' && r.value.ok).length;
    const [b, c] = await Promise.all([
      Promise.allSettled(brokerCalls),
      Promise.allSettled(classicCalls),
      proactive,
    ]);
    return `broker ${ok(b)}/${BURST} ok${withClassic ? `, classic ${ok(c)}/${BURST} ok` : ''}`;
  }

  channel.onmessage = ({ data }: MessageEvent<RaceMessage>) => {
    if (data?.type === 'armed') hooks.armed(data.due, data.by);
    else if (data?.type === 'go') fire(data.at, data.due);
  };

  return {
    /** Arms the race in every tab; throws when the broker has no session. */
    async start(): Promise<void> {
      const status = await broker.status();
      if (!status.loggedIn || status.refreshDueIn === null) throw new Error('log in first');
      // A few ms past due, so the proactive check finds the refresh due.
      const due = Date.now() + Math.max(0, status.refreshDueIn) + 5;
      channel.postMessage({ type: 'armed', due, by: tab.id } satisfies RaceMessage);
      hooks.armed(due, tab.id);
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          void startRaceOnServer().then((at) => {
            channel.postMessage({ type: 'go', at, due } satisfies RaceMessage);
            fire(at, due);
          }),
        Math.max(0, due - LEAD_MS - Date.now()),
      );
    },
  };
}
