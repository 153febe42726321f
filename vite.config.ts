import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;

// `vite build` builds the demo into dist/demo; `vite build --mode sw` builds the standalone
// worker as one self-contained classic script (not a module worker: docs/platform-facts.md §8).
export default defineConfig(({ mode }) =>
  mode === 'sw'
    ? {
        // Workbox reads process.env.NODE_ENV; lib mode leaves it in the bundle otherwise.
        define: { 'process.env.NODE_ENV': JSON.stringify('production') },
        build: {
          outDir: resolve(root, 'dist/standalone'),
          emptyOutDir: true,
          minify: true,
          sourcemap: true,
          lib: {
            entry: resolve(root, 'sw/standalone.ts'),
            formats: ['iife'],
            name: 'swTokenBroker',
            fileName: () => 'sw.js',
          },
        },
      }
    : {
        root: resolve(root, 'demo'),
        build: { outDir: resolve(root, 'dist/demo'), emptyOutDir: true, sourcemap: true },
        test: {
          root,
          include: ['test/**/*.test.ts'],
          environment: 'node',
          reporters: ['default', ['json', { outputFile: resolve(root, 'reports/vitest.json') }]],
          testTimeout: 20_000,
        },
      },
);
