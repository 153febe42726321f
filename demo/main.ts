import axios from 'axios';
import {
  createTokenBroker,
  isTokenBrokerError,
  registerTokenBroker,
  type ClientStatus,
  type TokenBrokerClient,
} from '../src/index.js';
import { api, login, meWithAxios, meWithFetch } from './api.js';
import { demoApp, demoWorkerConfig } from './config.js';
import { createPanel } from './panel.js';

const panel = createPanel();

async function start(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const broker = createTokenBroker({
    worker: demoWorkerConfig(location.search),
    ...demoApp(location.pathname),
    axios,
    debug: query.get('debug') === '1',
  });
  // Waits for the worker, and adds the token while this page is not controlled (e.g. after a hard reload).
  broker.attachAxios(api);
  // `?startup=1`: the app's first requests leave before the worker is ready, as a React Query or
  // `useEffect` fetch does; the statuses they got are kept for the tests.
  if (query.get('startup') === '1') {
    const statuses = (requests: Array<Promise<number>>) =>
      Promise.all(
        requests.map((r) =>
          r.catch((error: { response?: { status: number } }) => error.response?.status ?? 0),
        ),
      );
    Object.assign(globalThis, {
      startupRequests: statuses([
        broker.fetch('/api/me').then((r) => r.status),
        api.get('/me').then((r) => r.status),
      ]),
    });
  }
  await broker.ready;
  wire(broker);
  // Exposed for the Playwright tests and for poking around in DevTools.
  Object.assign(globalThis, { demo: { broker, meWithFetch, meWithAxios, api, login, events: panel.events } });
  await panel.update(broker);
  // Demo builds only (`vite build --mode demo`): a production build leaves the lab out entirely.
  // And only when the server runs in demo mode (it marks the page), so elsewhere nothing more loads.
  if (import.meta.env.MODE === 'demo' && document.documentElement.dataset.demoMode === 'on') {
    const { startLab } = await import('./lab/lab.js');
    await startLab(broker, panel.log).catch((error: unknown) =>
      panel.log(`lab failed: ${(error as Error).message}`, true),
    );
  }
  document.body.dataset.ready = 'true';
}

function wire(broker: TokenBrokerClient): void {
  broker.on('logout', ({ reason }) => panel.log(`logout (${reason})`));
  broker.on('refreshed', ({ generation, trigger }) =>
    panel.log(`refreshed → generation ${generation} (${trigger})`),
  );
  broker.on('session', ({ generation }) => panel.log(`session stored (generation ${generation})`));
  broker.on('error', ({ error }) => panel.log(`error ${error.code}: ${error.message}`, true));
  broker.on('control', ({ controlled }) =>
    panel.log(controlled ? 'page controlled by the worker' : 'page NOT controlled'),
  );
  for (const type of ['logout', 'refreshed', 'session', 'control'] as const)
    broker.on(type, () => void panel.update(broker));

  const form = document.querySelector<HTMLFormElement>('#login-form')!;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    void run('login', async () => {
      const body = await login(String(data.get('username')), String(data.get('password')), broker.fetch);
      // The worker captured the refresh token, also on an uncontrolled page (through broker.fetch).
      // Only without a worker at all does the page get it, and hands it over.
      if (typeof body.refresh_token === 'string') {
        await broker.setSession({
          accessToken: String(body.access_token),
          refreshToken: body.refresh_token,
          expiresIn: Number(body.expires_in),
        });
      }
      return 'logged in';
    });
  });
  const on = (id: string, label: string, fn: () => Promise<unknown>): void =>
    document.getElementById(id)!.addEventListener('click', () => void run(label, fn));
  on('call-fetch', 'fetch /api/me', meWithFetch);
  on('call-axios', 'axios /api/me', meWithAxios);
  on('burst', 'burst of 20', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? meWithFetch() : meWithAxios())),
    );
    return `${results.filter((r) => r.status === 'fulfilled').length}/20 succeeded`;
  });
  on('refresh', 'refresh', () => broker.refresh());
  on('logout', 'logout', () => broker.logout());
  const offline = (): void => {
    document.getElementById('offline-banner')?.toggleAttribute('hidden', navigator.onLine);
  };
  addEventListener('online', offline);
  addEventListener('offline', offline);
  offline();
  // The panel polls the worker's status every second, and every poll is a worker event that
  // also runs the proactive check. `?panelPoll=0` turns it off, so tests of idle tabs see only
  // the client's own wake-ups (a value in seconds changes the period).
  const poll = Number(new URLSearchParams(location.search).get('panelPoll') ?? 1);
  if (poll > 0) setInterval(() => void panel.update(broker), poll * 1000);

  async function run(label: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      const result = await fn();
      panel.log(`${label}: ${summarize(result)}`);
    } catch (error) {
      panel.log(`${label} failed: ${(error as Error).message}`, true);
    }
    await panel.update(broker);
  }
}

function summarize(value: unknown): string {
  if (typeof value === 'string') return value;
  const s = value as Partial<ClientStatus> & { user?: string; generation?: number };
  if (s && typeof s === 'object' && 'user' in s) return `ok (user ${s.user}, generation ${s.generation})`;
  return 'ok';
}

// `?manual=1`: register nothing; tests call `demoLib.registerTokenBroker` themselves with other options.
if (new URLSearchParams(location.search).get('manual') === '1') {
  Object.assign(globalThis, {
    demoLib: { registerTokenBroker, createTokenBroker, demoWorkerConfig, api, axios },
  });
} else {
  void start().catch((error: unknown) =>
    panel.log(
      `startup failed${isTokenBrokerError(error) ? ` (${error.code})` : ''}: ${(error as Error).message}`,
      true,
    ),
  );
}
