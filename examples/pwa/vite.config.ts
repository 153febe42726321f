// vite.config.ts: the reference PWA, built with vite-plugin-pwa's injectManifest strategy.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  // In this repository the package is its own source; an app imports the installed package instead.
  resolve: {
    alias: { 'sw-token-broker/sw': here('../../sw/index.ts'), 'sw-token-broker': here('../../src/index.ts') },
  },
  build: { outDir: here('../../dist/examples/pwa'), emptyOutDir: true, sourcemap: true },
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'worker',
      filename: 'sw.ts',
      injectRegister: false,
      manifest: false,
      // One classic script: module workers need recent Firefox.
      injectManifest: { sourcemap: true, rollupFormat: 'iife' },
    }),
  ],
});
