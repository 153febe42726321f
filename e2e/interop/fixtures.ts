import { existsSync } from 'node:fs';
import { test as base } from '@playwright/test';
import { demoSwScript } from '../fixtures.js';
import { startAppServer, type AppServer } from './app-server.js';
import { buildInteropApp } from './build-app.js';

export const test = base.extend<
  {
    /** The app origin: interop page, built `sw.js`, config and a token-validating `/api/`. */
    app: AppServer;
  },
  {
    /** Directory of the interop page, built once per Playwright worker. */
    appBundle: string;
  }
>({
  appBundle: [
    async ({}, use) => {
      if (!existsSync(demoSwScript)) throw new Error(`Missing ${demoSwScript}: run \`npm run build\` first.`);
      const bundle = await buildInteropApp();
      try {
        await use(bundle.dir);
      } finally {
        await bundle.remove();
      }
    },
    { scope: 'worker' },
  ],

  app: async ({ appBundle }, use) => {
    const app = await startAppServer({ staticDir: appBundle, swScript: demoSwScript });
    try {
      await use(app);
    } finally {
      await app.close();
    }
  },
});

export { expect } from '@playwright/test';
