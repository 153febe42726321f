import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test as base } from '@playwright/test';
import { FIREFOX_IDLE_PREFS } from './harness/worker-control.js';

// The demo server is imported lazily (inside the fixture) so specs that only use the helpers
// below load without it: e.g. the browser smoke test, or while the server is being rewritten.
type DemoServerModule = typeof import('../demo/server/index.js');
type StartOptions = NonNullable<Parameters<DemoServerModule['startServer']>[0]>;

/** A running demo server with its test-control API; closed by the fixture's teardown. */
export type TestServer = Awaited<ReturnType<DemoServerModule['startServer']>>;

/** What a spec may set with `test.use({ serverOptions })`; the fixture fills in the rest. */
export type ServerOptions = Omit<StartOptions, 'testControl' | 'staticDir' | 'swScript'>;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const demoStaticDir = `${repoRoot}dist/demo`;
export const demoSwScript = `${repoRoot}dist/standalone/sw.js`;

const defaultServerOptions: ServerOptions = { accessTtlSeconds: 60 };

async function startDemoServer(options: StartOptions): Promise<TestServer> {
  const { startServer } = await import('../demo/server/index.js');
  return startServer(options);
}

function assertBuilt(): void {
  const missing = [demoStaticDir, demoSwScript].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(`Missing build output ${missing.join(', ')}: run \`npm run build\` first.`);
  }
}

export const test = base.extend<
  {
    /** Options for `server`; a spec's `test.use({ serverOptions })` is merged over the default. @default { accessTtlSeconds: 60 } */
    serverOptions: ServerOptions;
    /** The demo app and the built `sw.js`, with test control, on its own port. */
    server: TestServer;
    /** A second server on another port, i.e. another origin: tokens must never reach it. */
    foreignServer: TestServer;
  },
  {
    /**
     * The spec stops workers with `stopServiceWorkers`: in Firefox the browser is launched with a
     * 1 s idle timeout (FIREFOX_IDLE_PREFS) so a quiet worker stops by itself. Chromium stops
     * workers with CDP either way. @default false
     */
    idleStops: boolean;
  }
>({
  serverOptions: [defaultServerOptions, { option: true }],
  idleStops: [false, { option: true, scope: 'worker' }],

  launchOptions: [
    async ({ launchOptions, idleStops, browserName }, use) =>
      use(
        idleStops && browserName === 'firefox'
          ? {
              ...launchOptions,
              firefoxUserPrefs: { ...launchOptions.firefoxUserPrefs, ...FIREFOX_IDLE_PREFS },
            }
          : launchOptions,
      ),
    { scope: 'worker' },
  ],

  server: async ({ serverOptions }, use) => {
    assertBuilt();
    const server = await startDemoServer({
      ...defaultServerOptions,
      ...serverOptions,
      testControl: true,
      staticDir: demoStaticDir,
      swScript: demoSwScript,
    });
    try {
      await use(server);
    } finally {
      await server.close();
    }
  },

  foreignServer: async ({}, use) => {
    const server = await startDemoServer({ testControl: true });
    try {
      await use(server);
    } finally {
      await server.close();
    }
  },
});

export { expect } from '@playwright/test';
// No `expectEventually`: use `await expect.poll(() => server.control.counters()).toMatchObject(...)`.
