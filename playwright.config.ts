import { defineConfig, devices } from '@playwright/test';
import {
  CHROMIUM_ARGS,
  findChromium,
  findFirefox,
  missingBrowserMessage,
  missingFirefoxMessage,
} from './scripts/find-browser.mjs';

const chromium = findChromium();
if (!chromium) throw new Error(missingBrowserMessage);
// Firefox gates `npm test` like Chromium does: missing means fail with the install command.
const firefox = findFirefox();
if (!firefox) throw new Error(missingFirefoxMessage);

const args = CHROMIUM_ARGS;

// The same for Firefox: no update checks, telemetry or remote settings on a box without
// internet. Runs as root headless without extra MOZ_* variables (docs/platform-facts.md §15).
const firefoxUserPrefs = {
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

export default defineConfig({
  testDir: 'e2e',
  // The WebKit suite is vitest + WebDriver, not Playwright (e2e/webkit/).
  testIgnore: ['webkit/**'],
  outputDir: 'test-results',
  fullyParallel: true,
  workers: 2,
  // Refresh races are the product: a flaky test is a finding, so retries must not hide it.
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: { executablePath: chromium.executablePath, args },
      },
    },
    {
      // Debian's Firefox ESR over WebDriver BiDi. Playwright is pinned to 1.64.1 for every
      // project: 1.65 fails at newContext on ESR 153 (README "Browser support").
      name: 'firefox',
      use: {
        browserName: 'firefox',
        channel: 'moz-firefox',
        viewport: { width: 1280, height: 720 },
        launchOptions: { executablePath: firefox.executablePath, firefoxUserPrefs },
      },
    },
  ],
});
