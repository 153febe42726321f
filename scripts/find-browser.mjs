// Locates the browsers the tests drive on this machine.
// Chromium: CHROMIUM_PATH override, Playwright's own managed build, Debian's /usr/bin/chromium.
// Playwright's browser download is blocked on some machines (no CDN access), so the
// Debian package is a first-class fallback, not an afterthought.
// Firefox: FIREFOX_PATH override, then Debian's /usr/bin/firefox-esr (driven over WebDriver
// BiDi, Playwright's `moz-firefox` channel; Playwright's own Firefox build is not used).
// WebKit: WEBKIT_DRIVER_PATH override, then Debian's /usr/bin/WebKitWebDriver (WebKitGTK),
// driven by selenium-webdriver under Xvfb (`xvfb-run`); Playwright cannot drive WebKitGTK.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
export const SYSTEM_FIREFOX = '/usr/bin/firefox-esr';
export const SYSTEM_WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
/** Debian packages that provide Firefox and the WebKitGTK WebDriver (with Xvfb to run it). */
/**
 * Chromium flags for a locked-down CI box: nothing may phone home (no internet here), and
 * Chromium refuses to start as root without --no-sandbox. Shared by the e2e config and the bench.
 */
export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

export const ENGINE_PACKAGES = ['firefox-esr', 'webkit2gtk-driver', 'xvfb'];

export const missingBrowserMessage = [
  'No Chromium found for the Playwright tests. Install one of:',
  '  npx playwright install chromium          (Playwright-managed build; needs its download host)',
  '  apt-get install -y chromium              (as root on Debian/Ubuntu; installs /usr/bin/chromium)',
  'or point CHROMIUM_PATH at an existing Chromium/Chrome executable.',
].join('\n');

export const missingFirefoxMessage = [
  'No Firefox found for the Playwright tests (project "firefox"). Install it with:',
  '  apt-get install -y firefox-esr           (as root on Debian; installs /usr/bin/firefox-esr; needs ESR 153+)',
  'or point FIREFOX_PATH at an existing Firefox executable.',
].join('\n');

export const missingWebKitMessage = [
  'No WebKitGTK WebDriver (or no xvfb-run) found for the WebKit suite. Install them with:',
  '  apt-get install -y webkit2gtk-driver xvfb (as root on Debian; installs /usr/bin/WebKitWebDriver)',
  'or point WEBKIT_DRIVER_PATH at an existing WebKitWebDriver.',
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

/** An override, else the system path; null if neither. Throws if the override names a missing file. */
function findExecutable(variable, systemPath) {
  const override = process.env[variable];
  if (override) {
    if (!existsSync(override)) throw new Error(`${variable} is set to ${override}, which does not exist.`);
    return { executablePath: override, source: 'env' };
  }
  return existsSync(systemPath) ? { executablePath: systemPath, source: 'system' } : null;
}

/** Finds a Firefox: FIREFOX_PATH, then /usr/bin/firefox-esr; null if none. */
export function findFirefox() {
  return findExecutable('FIREFOX_PATH', SYSTEM_FIREFOX);
}

/** Finds WebKitGTK's WebDriver: WEBKIT_DRIVER_PATH, then /usr/bin/WebKitWebDriver; null if none. */
export function findWebKitDriver() {
  return findExecutable('WEBKIT_DRIVER_PATH', SYSTEM_WEBKIT_DRIVER);
}

// `node scripts/find-browser.mjs`: print what was found; exit 1 when any engine is missing.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const engines = [
    ['chromium', findChromium, missingBrowserMessage],
    ['firefox', findFirefox, missingFirefoxMessage],
    ['webkit driver', findWebKitDriver, missingWebKitMessage],
  ];
  for (const [name, find, missing] of engines) {
    try {
      const found = find();
      if (found)
        console.log(`${name} (${found.source}): ${found.executablePath ?? playwrightChromiumPath()}`);
      else {
        console.error(missing);
        process.exitCode = 1;
      }
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    }
  }
}
