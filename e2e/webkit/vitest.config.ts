import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = resolve(import.meta.dirname, '../..');

// The WebKitGTK suite: one MiniBrowser session, tests in sequence (the browser is shared).
// Run it under Xvfb: `xvfb-run -a vitest run --config e2e/webkit/vitest.config.ts`.
export default defineConfig({
  test: {
    root,
    include: ['e2e/webkit/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: resolve(root, 'reports/webkit.json') }]],
  },
});
