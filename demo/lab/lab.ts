import type { TokenBrokerClient } from '../../src/index.js';
import { createClassicClient } from './classic-client.js';
import { renderCounters } from './counters-view.js';
import {
  fetchStats,
  noteOffline,
  noteRefreshed,
  resetServerCounters,
  setToggles,
  type Toggles,
} from './lab-api.js';
import { LAB_HTML } from './lab-markup.js';
import './lab.css';
import { createRace } from './race.js';
import type { DemoStats, Side } from './stats-types.js';
import { tabLabel } from './tab-label.js';
import { renderTimeline } from './timeline.js';

const SIDE_BY_SIDE_KEY = 'sw-token-broker-demo.side-by-side';
const POLL_MS = 1000;
/** After this tab's race requests settled, wait this long for the other tabs' before reading the outcome. */
const OUTCOME_DELAY_MS = 1200;

/**
 * The demo mode's lab: timeline, server counters, the race and the fault toggles. Loaded by
 * main.ts only in demo builds, and only when the server runs in demo mode.
 */
export async function startLab(
  broker: TokenBrokerClient,
  log: (text: string, error?: boolean) => void,
): Promise<void> {
  const section = document.createElement('section');
  section.id = 'lab';
  section.setAttribute('aria-labelledby', 'lab-title');
  section.innerHTML = LAB_HTML;
  document.querySelector('main section:nth-of-type(2)')?.after(section);
  const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

  const tab = tabLabel();
  $('tab-name').textContent = tab.text;
  document.title = `${tab.text} · sw-token-broker demo`;
  const classic = createClassicClient(tab, (reason) => {
    log(`classic: logged out (${reason})`, true);
    void refresh();
  });
  const sideBySide = (): boolean => localStorage.getItem(SIDE_BY_SIDE_KEY) === '1';
  const sides = (): Side[] => (sideBySide() ? ['broker', 'classic'] : ['broker']);
  let latest: DemoStats | null = null;

  // Counts the toggles sent: stats asked for before the last one landed would switch the box back.
  let toggleSeq = 0;
  let togglesPending = 0;

  async function refresh(): Promise<void> {
    const seq = toggleSeq;
    try {
      latest = (await fetchStats()) ?? latest;
    } catch {
      return; // the lab's own poll failing is not news; the event log has the app's side
    }
    if (!latest) return;
    renderTimeline($('timeline'), $('timeline-text'), latest, sides());
    renderCounters($<HTMLTableElement>('counters'), latest, sides());
    if (seq === toggleSeq && togglesPending === 0)
      for (const name of ['refresh500', 'slowRefresh', 'outage'] as const)
        $<HTMLInputElement>(`fault-${name}`).checked = latest.toggles[name];
    showSideBySide();
  }

  function showSideBySide(): void {
    $<HTMLInputElement>('side-by-side').checked = sideBySide();
    $('classic-panel').hidden = !sideBySide();
    $('classic-state').textContent = classic.loggedIn() ? 'logged in' : 'logged out';
  }

  // Every tab tells the server's timeline what triggered a broker refresh; the tab that pressed
  // "Refresh now" also says it was its own.
  let explicitUntil = 0;
  $('refresh').addEventListener('click', () => {
    explicitUntil = Date.now() + 10_000;
  });
  broker.on('refreshed', ({ generation, trigger }) => {
    const mine = trigger === 'explicit' && Date.now() < explicitUntil;
    void noteRefreshed(generation, trigger, mine ? tab.id : null).catch(() => undefined);
  });
  let offlineSince: number | null = navigator.onLine ? null : Date.now();
  addEventListener('offline', () => {
    offlineSince = Date.now();
  });
  addEventListener('online', () => {
    if (offlineSince !== null) void noteOffline(offlineSince, Date.now(), tab.id).catch(() => undefined);
    offlineSince = null;
  });

  const race = createRace(broker, classic, tab, sideBySide, {
    armed(at, by) {
      $('race-outcome').hidden = true;
      const tick = (): void => {
        const left = Math.max(0, at - Date.now());
        if (left > 0) setTimeout(tick, 250);
        $('race-status').textContent =
          left > 0
            ? `Race armed by ${by.replace('tab-', 'tab ')}: it fires when the broker's proactive refresh falls due, in ${Math.ceil(left / 1000)} s.`
            : 'Race: firing…';
      };
      tick();
    },
    fired(at, done) {
      void done.then(async (summary) => {
        $('race-status').textContent = `Race fired in this tab: ${summary}. Reading the server…`;
        await new Promise((r) => setTimeout(r, OUTCOME_DELAY_MS));
        await refresh();
        await showOutcome(at);
        log(`race: ${summary}`);
      });
    },
  });

  async function showOutcome(at: number): Promise<void> {
    const stats = latest;
    if (!stats) return;
    const status = await broker.status().catch(() => null);
    // The race hit one token lifetime: count the refresh calls that tried to end it (later
    // lifetimes may have passed by the time the outcome is read).
    const outcome = (side: Side) => {
      const marks = stats.sides[side].marks.filter((m) => m.at >= at);
      const hit = marks.find((m) => m.kind === 'refresh');
      const refreshes = marks.filter(
        (m) => m.kind === 'refresh' && m.family === hit?.family && m.generation === hit?.generation,
      );
      return {
        refreshes: refreshes.length,
        reuse: refreshes.filter((m) => m.outcome === 'reuse').length,
        unauthorized: marks.filter((m) => m.kind === '401').length,
        triggers: [...new Set(refreshes.map((m) => m.trigger ?? '?'))].join(', '),
      };
    };
    const b = outcome('broker');
    const brokerAlive = status?.loggedIn === true;
    setOutcome(
      'race-outcome-broker',
      { refreshes: b.refreshes, reuse: b.reuse, alive: brokerAlive },
      `Broker: ${b.refreshes} refresh call${b.refreshes === 1 ? '' : 's'} for the token the race hit (${b.triggers || 'none'}), ${b.unauthorized} 401s answered by replays, ${b.reuse} reuse detections; session ${brokerAlive ? 'alive in every tab' : 'ended'}.`,
    );
    const classicShown = sideBySide();
    $('race-outcome-classic').hidden = !classicShown;
    if (classicShown) {
      const c = outcome('classic');
      const alive = classic.loggedIn();
      setOutcome(
        'race-outcome-classic',
        { refreshes: c.refreshes, reuse: c.reuse, alive },
        `Classic: ${c.refreshes} refresh calls for the token the race hit, ${c.reuse} reuse detection${c.reuse === 1 ? '' : 's'}; ${alive ? 'session alive' : 'session revoked by the server, its tabs logged out'}.`,
      );
    }
    $('race-outcome').hidden = false;
    $('race-status').textContent = 'Race done.';
  }

  function setOutcome(
    id: string,
    data: { refreshes: number; reuse: number; alive: boolean },
    text: string,
  ): void {
    const p = $(id);
    p.textContent = text;
    p.dataset.refreshes = String(data.refreshes);
    p.dataset.reuse = String(data.reuse);
    p.dataset.alive = String(data.alive);
  }

  const on = (id: string, label: string, fn: () => Promise<unknown>): void =>
    $(id).addEventListener(
      'click',
      () =>
        void fn().then(
          () => refresh(),
          (error: unknown) => log(`${label} failed: ${(error as Error).message}`, true),
        ),
    );
  on('race', 'race', () => race.start());
  on('reset-counters', 'reset counters', resetServerCounters);
  on('classic-login', 'classic login', async () => {
    await classic.login();
    log('classic: logged in');
  });
  on('classic-call', 'GET /classic/me', async () => {
    const response = await classic.get('me');
    log(`classic: GET /classic/me → ${response.status}`, !response.ok);
  });
  $('side-by-side').addEventListener('change', (event) => {
    localStorage.setItem(SIDE_BY_SIDE_KEY, (event.target as HTMLInputElement).checked ? '1' : '0');
    void refresh();
  });
  addEventListener('storage', (event) => {
    if (event.key === SIDE_BY_SIDE_KEY) void refresh();
  });
  for (const name of ['refresh500', 'slowRefresh', 'outage'] as const) {
    const box = $<HTMLInputElement>(`fault-${name}`);
    box.addEventListener('change', () => {
      const toggles: Toggles = { [name]: box.checked };
      toggleSeq++;
      togglesPending++;
      void setToggles(toggles)
        .catch((error: unknown) => log(`fault toggle failed: ${(error as Error).message}`, true))
        .finally(() => {
          togglesPending--;
          void refresh();
        });
    });
  }
  setInterval(() => void refresh(), POLL_MS);
  await refresh();
  section.dataset.ready = 'true';
}
