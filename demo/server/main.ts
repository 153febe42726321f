// Runs the demo: `npx tsx demo/server/main.ts` after `npm run build`.
// Environment: PORT (5180), ACCESS_TTL_SECONDS (20 in demo mode, else 60), REUSE_GRACE_SECONDS (0),
// TEST_CONTROL (off), DEMO_MODE (on: the page's lab, i.e. timeline, counters, race, fault toggles).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STATIC_DIR = join(ROOT, 'dist', 'demo');
// The prebuilt standalone worker (vite build --mode sw), served as /sw.js.
const SW_SCRIPT = join(ROOT, 'dist', 'standalone', 'sw.js');

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got "${raw}"`);
  return value;
}

function flagFromEnv(name: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes((process.env[name] ?? '').trim().toLowerCase());
}

async function main(): Promise<void> {
  if (!existsSync(join(STATIC_DIR, 'index.html'))) {
    console.error(`sw-token-broker demo: ${STATIC_DIR} is missing; run \`npm run build\` first.`);
    process.exit(1);
  }
  const demoMode = process.env.DEMO_MODE === undefined || flagFromEnv('DEMO_MODE');
  const server = await startServer({
    port: numberFromEnv('PORT', 5180),
    // Short lifetimes in demo mode, so a visitor sees several pass (and the race falls due soon).
    accessTtlSeconds: numberFromEnv('ACCESS_TTL_SECONDS', demoMode ? 20 : 60),
    demoMode,
    reuseGraceSeconds: numberFromEnv('REUSE_GRACE_SECONDS', 0),
    testControl: flagFromEnv('TEST_CONTROL'),
    staticDir: STATIC_DIR,
    swScript: SW_SCRIPT,
  });
  console.log(
    `sw-token-broker demo: ${server.url}/  (login: demo / demo${demoMode ? '; demo mode: lab on' : ''})`,
  );

  let stopping = false;
  const stop = (): void => {
    // A second signal means "now": do not wait for a slow close.
    if (stopping) process.exit(1);
    stopping = true;
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`sw-token-broker demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
