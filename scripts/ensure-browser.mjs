// First step of `npm test`: make sure the three engines exist before building and testing, and
// print each one's version. Chromium: apt as root (Playwright's download host may be
// unreachable), otherwise Playwright's own installer. Firefox ESR and WebKitGTK's WebDriver
// (with Xvfb): Debian packages only; as root they are installed (or Firefox upgraded) with
// apt-get, otherwise a missing one fails with the command that installs it.
import { spawnSync } from 'node:child_process';
import {
  ENGINE_PACKAGES,
  findChromium,
  findFirefox,
  findWebKitDriver,
  missingBrowserMessage,
  missingFirefoxMessage,
  missingWebKitMessage,
} from './find-browser.mjs';

// Playwright 1.64.1 needs WebDriver BiDi's `network.addDataCollector`, which ESR 140 lacks
// (docs/platform-facts.md §15).
const MIN_FIREFOX_MAJOR = 153;

function find(finder) {
  try {
    return finder();
  } catch (error) {
    // A bad *_PATH override is not something an install can fix.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function output(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  // stdout only: Debian's chromium wrapper script writes shell noise to stderr.
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const isRoot = process.getuid?.() === 0;
const canApt = isRoot && hasCommand('apt-get');
let aptUpdated = false;

function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (!aptUpdated) {
    console.error('ensure-browser: apt-get update');
    aptUpdated = apt(['update']);
  }
  console.error(`ensure-browser: apt-get install -y ${packages.join(' ')}`);
  return aptUpdated && apt(['install', '-y', ...packages]);
}

function firefoxMajor(path) {
  const match = /Firefox (\d+)/.exec(output(path, ['--version']) ?? '');
  return match ? Number(match[1]) : undefined;
}

// Chromium.
let chromium = find(findChromium);
if (!chromium) {
  console.error('ensure-browser: no Chromium found, trying to install one');
  if (canApt) aptInstall(['chromium']);
  else {
    console.error('ensure-browser: npx playwright install chromium');
    spawnSync('npx', ['playwright', 'install', 'chromium'], { stdio: 'inherit' });
  }
  chromium = find(findChromium);
}
if (!chromium) {
  console.error(missingBrowserMessage);
  process.exit(1);
}

// Firefox ESR and the WebKitGTK WebDriver (+ Xvfb): one apt-get for whatever is missing or old.
let firefox = find(findFirefox);
let webkit = find(findWebKitDriver);
const firefoxTooOld =
  firefox?.source === 'system' && (firefoxMajor(firefox.executablePath) ?? 0) < MIN_FIREFOX_MAJOR;
const missing = ENGINE_PACKAGES.filter(
  (name) =>
    (name === 'firefox-esr' && (!firefox || firefoxTooOld)) ||
    (name === 'webkit2gtk-driver' && !webkit) ||
    (name === 'xvfb' && !hasCommand('xvfb-run')),
);
if (missing.length > 0 && canApt) {
  aptInstall(missing);
  firefox = find(findFirefox);
  webkit = find(findWebKitDriver);
}
const problems = [];
if (!firefox) problems.push(missingFirefoxMessage);
else if ((firefoxMajor(firefox.executablePath) ?? 0) < MIN_FIREFOX_MAJOR)
  problems.push(
    `${firefox.executablePath} is older than Firefox ${MIN_FIREFOX_MAJOR}: run apt-get update && apt-get install -y firefox-esr (bookworm-security carries ESR ${MIN_FIREFOX_MAJOR}).`,
  );
if (!webkit || !hasCommand('xvfb-run')) problems.push(missingWebKitMessage);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}

const chromiumPath = chromium.executablePath;
console.log(
  `ensure-browser: chromium from ${chromium.source}${chromiumPath ? ` (${chromiumPath}): ${output(chromiumPath, ['--version']) ?? 'version unknown'}` : ''}`,
);
console.log(
  `ensure-browser: firefox from ${firefox.source} (${firefox.executablePath}): ${output(firefox.executablePath, ['--version']) ?? 'version unknown'}`,
);
// biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template.
const webkitVersion = output('dpkg-query', ['-W', '-f', '${Version}', 'libwebkit2gtk-4.1-0']);
console.log(
  `ensure-browser: webkit driver from ${webkit.source} (${webkit.executablePath}): WebKitGTK ${webkitVersion ?? 'version unknown'}`,
);
