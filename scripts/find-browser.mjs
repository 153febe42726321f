// Locates a Chromium that Playwright can drive on this machine.
// Order: CHROMIUM_PATH override, Playwright's own managed build, Debian's /usr/bin/chromium.
// Playwright's browser download is blocked on some machines (no CDN access), so the
// Debian package is a first-class fallback, not an afterthought.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const missingBrowserMessage = [
  'No Chromium found for the Playwright tests. Install one of:',
  '  npx playwright install chromium          (Playwright-managed build; needs its download host)',
  '  apt-get install -y chromium              (as root on Debian/Ubuntu; installs /usr/bin/chromium)',
  'or point CHROMIUM_PATH at an existing Chromium/Chrome executable.',
].join('\n');

/** Path Playwright would launch for its managed Chromium, or undefined if it cannot tell. */
function playwrightChromiumPath() {
  try {
    const { chromium } = require('@playwright/test');
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

/**
 * Finds a Chromium to launch; null if none. Throws if CHROMIUM_PATH names a missing file.
 * Types: find-browser.d.mts.
 */
export function findChromium() {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    // An override that points nowhere is a mistake worth surfacing, not silently skipping.
    if (!existsSync(override)) {
      throw new Error(`CHROMIUM_PATH is set to ${override}, which does not exist.`);
    }
    return { executablePath: override, source: 'env' };
  }
  const managed = playwrightChromiumPath();
  if (managed && existsSync(managed)) {
    // Leave the path undefined so Playwright picks its own build (and headless shell) itself.
    return { executablePath: undefined, source: 'playwright' };
  }
  if (existsSync(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, source: 'system' };
  }
  return null;
}

// `node scripts/find-browser.mjs`: print what was found; exit 1 when nothing was.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let found = null;
  try {
    found = findChromium();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  if (found) {
    console.log(`chromium (${found.source}): ${found.executablePath ?? playwrightChromiumPath()}`);
  } else {
    console.error(missingBrowserMessage);
    process.exitCode = 1;
  }
}
