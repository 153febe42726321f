import { defineConfig, devices } from '@playwright/test';
import { findChromium, missingBrowserMessage } from './scripts/find-browser.mjs';

const chromium = findChromium();
if (!chromium) throw new Error(missingBrowserMessage);

// Flags for a locked-down CI box: nothing may phone home (no internet here), and
// Chromium refuses to start as root without --no-sandbox.
const args = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

export default defineConfig({
  testDir: 'e2e',
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
  ],
});
