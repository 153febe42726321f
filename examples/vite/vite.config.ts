// vite.config.ts of an app that uses the prebuilt worker (it owns no worker of its own): the
// plugin below serves `/sw.js` in `vite dev` and emits it, with its source map, at the build's root.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';

function tokenBrokerWorker(): Plugin {
  const worker = createRequire(import.meta.url).resolve('sw-token-broker/sw.js');
  // `sw.js` ends with `//# sourceMappingURL=sw.js.map`: ship both, side by side.
  const files = new Map([
    ['sw.js', { path: worker, type: 'text/javascript' }],
    ['sw.js.map', { path: `${worker}.map`, type: 'application/json' }],
  ]);
  return {
    name: 'sw-token-broker-worker',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = files.get((req.url ?? '').split('?')[0]!.slice(1));
        if (!file) return next();
        res.setHeader('Content-Type', file.type);
        res.setHeader('Cache-Control', 'no-cache'); // browsers must see a new version at once
        res.end(readFileSync(file.path));
      });
    },
    generateBundle() {
      for (const [fileName, file] of files)
        this.emitFile({ type: 'asset', fileName, source: readFileSync(file.path) });
    },
  };
}

export default defineConfig({ plugins: [tokenBrokerWorker()] });
