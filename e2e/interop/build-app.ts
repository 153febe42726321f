import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('./app/', import.meta.url));

/**
 * Builds the interop page (./app) with Vite into a temporary directory. The repo's
 * vite.config.ts builds only the demo and the worker; this page exists for tests only.
 */
export async function buildInteropApp(): Promise<{ dir: string; remove(): Promise<void> }> {
  const { build } = await import('vite');
  const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-interop-'));
  await build({
    configFile: false,
    root: appDir,
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true, minify: false, sourcemap: false },
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
