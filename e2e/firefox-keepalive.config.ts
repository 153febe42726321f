import { defineConfig } from '@playwright/test';

// Runs the Firefox-only specs against Debian's firefox-esr until the main config has a Firefox
// project (`npx playwright test -c e2e/firefox-keepalive.config.ts`). Playwright 1.65 sends a
// BiDi command Firefox ESR 153 rejects at `newContext`; 1.64.1 drives it (docs/platform-facts.md).
export default defineConfig({
  testDir: '.',
  testMatch: /keepalive\.spec\.ts$/,
  outputDir: '../test-results',
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  projects: [
    {
      name: 'firefox',
      use: {
        browserName: 'firefox',
        channel: 'moz-firefox',
        launchOptions: { executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr' },
      },
    },
  ],
});
