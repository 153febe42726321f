import type { TokenBrokerClient } from '../src/index.js';

/** The live token panel and event log. Display only. */
export function createPanel() {
  const el = (id: string): HTMLElement => document.getElementById(id)!;
  const events: string[] = [];
  let lastInstance: string | undefined;
  let restarts = 0;
  return {
    events,
    log(text: string, error = false): void {
      events.push(text);
      const li = document.createElement('li');
      li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
      if (error) li.className = 'error';
      el('log').prepend(li);
    },
    async update(broker: TokenBrokerClient): Promise<void> {
      try {
        const s = await broker.status();
        if (lastInstance !== undefined && lastInstance !== s.workerInstance) restarts++;
        lastInstance = s.workerInstance;
        el('state').textContent = s.loggedIn ? 'logged in' : 'logged out';
        el('login-section').hidden = s.loggedIn;
        el('generation').textContent = s.loggedIn ? String(s.generation) : '–';
        el('expires-in').textContent =
          s.expiresIn === null ? '–' : `${Math.max(0, Math.round(s.expiresIn / 1000))} s`;
        el('last-refresh').textContent = s.lastRefresh
          ? `${Math.round(s.lastRefresh.agoMs / 1000)} s ago (${s.lastRefresh.trigger})`
          : '–';
        el('worker-state').textContent =
          `${s.controlled ? 'controlling this page' : 'not controlling this page'}${restarts ? `, restarted ${restarts}×` : ''}`;
      } catch (error) {
        el('worker-state').textContent = `unreachable (${(error as Error).message})`;
      }
    },
  };
}
