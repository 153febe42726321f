// First step of `npm test`: make sure a Chromium exists before building and testing.
// Installs one only when none is found: apt as root (Playwright's download host may be
// unreachable), otherwise Playwright's own installer.
import { spawnSync } from 'node:child_process';
import { findChromium, missingBrowserMessage } from './find-browser.mjs';

function find() {
  try {
    return findChromium();
  } catch (error) {
    // A bad CHROMIUM_PATH is not something an install can fix.
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

function run(command, args) {
  console.error(`ensure-browser: ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  return result.status === 0;
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

let found = find();
if (!found) {
  console.error('ensure-browser: no Chromium found, trying to install one');
  if (process.getuid?.() === 0 && hasCommand('apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
    console.error('ensure-browser: apt-get update && apt-get install -y chromium');
    if (apt(['update'])) apt(['install', '-y', 'chromium']);
  } else {
    run('npx', ['playwright', 'install', 'chromium']);
  }
  found = find();
}

if (!found) {
  console.error(missingBrowserMessage);
  process.exit(1);
}
console.log(
  `ensure-browser: chromium from ${found.source}${found.executablePath ? ` (${found.executablePath})` : ''}`,
);
