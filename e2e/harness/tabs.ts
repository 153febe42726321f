// Tabs and sessions: opening the demo, logging in, one-off calls from a tab and the client's
// own calls (status, refresh, logout). Everything observes the page from the outside.
import type { BrowserContext, Page } from '@playwright/test';
import { DEMO_CREDENTIALS } from '../../demo/server/index.js';
import type { TestServer } from '../fixtures.js';

/**
 * Demo query parameters that shorten the worker's timings or play another deployment's config
 * (see demo/config.ts); `panelPoll: 0` stops the panel's 1 s status polling (demo/main.ts);
 * `respectAuth: 0` sets `respectExistingAuthorization: false`.
 */
export type DemoQuery = Partial<
  Record<
    | 'lead'
    | 'refreshTimeout'
    | 'requestWait'
    | 'backoff'
    | 'attempts'
    | 'panelPoll'
    | 'configVersion'
    | 'capture'
    | 'respectAuth',
    number
  >
> & {
  /** A path the worker config excludes from the token. */
  exclude?: string;
  /** JSON merged over the worker config unchecked (demo/config.ts), e.g. `{"dpop":true}`. */
  worker?: string;
};

/**
 * Opens the demo in a new tab and waits until its client is registered. `app` opens it as another
 * app on the same origin (`/apps/<app>/`: its own broker name and registration scope).
 */
export async function openDemo(
  context: BrowserContext,
  server: TestServer,
  query: DemoQuery = {},
  app?: string,
): Promise<Page> {
  const page = await context.newPage();
  const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  await page.goto(`${server.url}/${app ? `apps/${app}/` : ''}${search ? `?${search}` : ''}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

/** Logs in through the demo's form and waits for the session panel. */
export async function loginThroughForm(page: Page): Promise<void> {
  await page.click('#login');
  await page.waitForFunction(() => document.getElementById('state')?.textContent === 'logged in');
}

/** Runs `GET /api/me` in the page with plain fetch or with the demo's plain axios instance. */
/** Logs in with the demo's own `fetch` and returns the keys of the JSON the page received. */
export function loginKeys(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const demo = (
      globalThis as unknown as { demo: { login(u: string, p: string): Promise<Record<string, unknown>> } }
    ).demo;
    return Object.keys(await demo.login('demo', 'demo')).sort();
  });
}

export function callMe(page: Page, via: 'fetch' | 'axios'): Promise<{ user: string; generation: number }> {
  return page.evaluate(async (how) => {
    const demo = (
      globalThis as unknown as { demo: Record<'meWithFetch' | 'meWithAxios', () => Promise<unknown>> }
    ).demo;
    return (await (how === 'fetch' ? demo.meWithFetch() : demo.meWithAxios())) as {
      user: string;
      generation: number;
    };
  }, via);
}

type ClientGlobal = {
  demo?: { broker: PageClient };
  interop?: { broker: PageClient };
};
type PageClient = {
  status(): Promise<BrokerStatus>;
  refresh(): Promise<unknown>;
  logout(): Promise<void>;
  getAccessToken(): Promise<string>;
};

/** The client's status as the page sees it (no token material). */
export interface BrokerStatus {
  loggedIn: boolean;
  generation: number;
  expiresIn: number | null;
  refreshDueIn: number | null;
  controlled: boolean;
  /** Changes whenever the browser restarted the worker. */
  workerInstance: string;
}

/** The client's status in the page (demo or interop page). */
export function brokerStatus(page: Page): Promise<BrokerStatus> {
  return page.evaluate(() => {
    const g = globalThis as unknown as ClientGlobal;
    const app = g.demo ?? g.interop;
    if (!app) throw new Error('brokerStatus: no demo or interop page');
    return app.broker.status();
  });
}

/** Calls `broker.<method>()` in the page; resolves with `{ ok, value }` or `{ ok: false, code }`. */
export function brokerCall(
  page: Page,
  method: 'status' | 'refresh' | 'logout' | 'getAccessToken',
): Promise<
  | { ok: true; value: unknown; ms: number }
  | { ok: false; name: string; code: string | undefined; message: string; ms: number }
> {
  return page.evaluate(async (method) => {
    const g = globalThis as unknown as ClientGlobal;
    const app = g.demo ?? g.interop;
    if (!app) throw new Error('brokerCall: no demo or interop page');
    const start = performance.now();
    try {
      const value = await app.broker[method]();
      return {
        ok: true as const,
        value: method === 'getAccessToken' ? '<token>' : value,
        ms: performance.now() - start,
      };
    } catch (error) {
      const e = error as { name?: string; code?: string; message?: string };
      return {
        ok: false as const,
        name: String(e.name),
        code: e.code,
        message: String(e.message),
        ms: performance.now() - start,
      };
    }
  }, method);
}

/** Outcome of one page-side `fetch('/api/me')`: the status, or the error's message. */
export type CallOutcome = { status: number; generation?: number; ms: number } | { error: string; ms: number };

/**
 * Starts `count` `GET /api/me` fetches in the page without awaiting them; their outcomes land
 * in `globalThis.__calls[label]`. Use {@link settledCalls} to read them.
 */
export async function startCalls(page: Page, label: string, count: number): Promise<void> {
  await page.evaluate(
    ({ label, count }) => {
      const g = globalThis as unknown as { __calls?: Record<string, Array<CallOutcome | null>> };
      g.__calls ??= {};
      const slots: Array<CallOutcome | null> = Array.from({ length: count }, () => null);
      g.__calls[label] = slots;
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        fetch('/api/me', { cache: 'no-store' }).then(
          async (response) => {
            const body = (await response.json().catch(() => ({}))) as { generation?: number };
            slots[i] = {
              status: response.status,
              ms: performance.now() - start,
              ...(typeof body.generation === 'number' ? { generation: body.generation } : {}),
            };
          },
          (error: unknown) => {
            slots[i] = { error: String(error), ms: performance.now() - start };
          },
        );
      }
    },
    { label, count },
  );
}

/** The outcomes of a {@link startCalls} batch; null for calls still pending. */
export function settledCalls(page: Page, label: string): Promise<Array<CallOutcome | null>> {
  return page.evaluate((label) => {
    const g = globalThis as unknown as { __calls?: Record<string, Array<CallOutcome | null>> };
    return g.__calls?.[label] ?? [];
  }, label);
}

/**
 * Hands the worker a session whose access token the server already considers expired while
 * the worker believes it lives 10 minutes, so the next API request meets a 401 and goes through
 * the 401 recovery. Tokens minted later (the refresh) live 60 s.
 */
export async function sessionTheServerAlreadyExpired(
  page: Page,
  server: TestServer,
  ttlSeconds = 0.5,
): Promise<void> {
  server.control.configure({ accessTtlSeconds: ttlSeconds });
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(DEMO_CREDENTIALS),
  });
  const tokens = (await login.json()) as { access_token: string; refresh_token: string };
  server.control.configure({ accessTtlSeconds: 60 });
  await page.evaluate(
    (t) =>
      (
        globalThis as unknown as { demo: { broker: { setSession(s: object): Promise<unknown> } } }
      ).demo.broker.setSession(t),
    { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: 600 },
  );
  // Time is the subject: wait until the server's access token has expired (its `exp` claim).
  const [, payload = ''] = tokens.access_token.split('.');
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    exp: number;
  };
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 + 100 - Date.now())));
}
