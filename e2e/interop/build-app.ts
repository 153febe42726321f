import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('./app/', import.meta.url));
const PAGES = ['index', 'bindings', 'supabase'];
// The README's examples import the package by name: here it is the source.
const packageEntry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/**
 * Builds the interop pages (./app: index.html, bindings.html, supabase.html) with Vite into a temporary
 * directory. The repo's vite.config.ts builds only the demo and the worker; these pages exist
 * for tests only.
 */
export async function buildInteropApp(): Promise<{ dir: string; remove(): Promise<void> }> {
  const { build } = await import('vite');
  const dir = await mkdtemp(join(tmpdir(), 'sw-token-broker-interop-'));
  await build({
    configFile: false,
    root: appDir,
    logLevel: 'warn',
    resolve: { alias: { 'sw-token-broker': packageEntry } },
    // Vue's bundler build reads these compile-time flags (set by @vitejs/plugin-vue in an app).
    define: {
      __VUE_OPTIONS_API__: 'true',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    build: {
      outDir: dir,
      emptyOutDir: true,
      minify: false,
      sourcemap: false,
      rollupOptions: {
        input: Object.fromEntries(PAGES.map((page) => [page, join(appDir, `${page}.html`)])),
      },
    },
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
