import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer } from 'vite';
import { describe, expect, it } from 'vitest';

// examples/vite/vite.config.ts: the README's build step for apps that serve the prebuilt worker.
// It resolves `sw-token-broker/sw.js` as an installed app would (here: the package itself).
const repo = fileURLToPath(new URL('../../', import.meta.url));
const example = join(repo, 'examples/vite');
const configFile = join(example, 'vite.config.ts');
const prebuilt = join(repo, 'dist/standalone/sw.js');

function assertBuilt(): void {
  if (!existsSync(prebuilt)) throw new Error(`${prebuilt} is missing: run \`npm run build\` first`);
}

describe('the Vite build step for the prebuilt worker (examples/vite)', () => {
  it('emits sw.js at the build root, byte for byte, with the source map it points at', async () => {
    assertBuilt();
    const outDir = mkdtempSync(join(tmpdir(), 'sw-token-broker-vite-'));
    try {
      await build({ configFile, root: example, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
      const emitted = readFileSync(join(outDir, 'sw.js'));
      expect(emitted.equals(readFileSync(prebuilt))).toBe(true);
      expect(emitted.toString('utf8')).toMatch(/\/\/# sourceMappingURL=sw\.js\.map\s*$/);
      const map = JSON.parse(readFileSync(join(outDir, 'sw.js.map'), 'utf8')) as {
        version: number;
        sources: string[];
      };
      expect(map.version).toBe(3);
      expect(map.sources.length).toBeGreaterThan(0);
      expect(existsSync(join(outDir, 'index.html'))).toBe(true);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('serves both in `vite dev`, with Cache-Control: no-cache', async () => {
    assertBuilt();
    const server = await createServer({
      configFile,
      root: example,
      logLevel: 'silent',
      server: { host: '127.0.0.1', port: 0 },
    });
    try {
      await server.listen();
      const base = server.resolvedUrls?.local[0];
      expect(base).toBeDefined();
      const sw = await fetch(new URL('sw.js', base));
      expect(sw.status).toBe(200);
      expect(sw.headers.get('content-type')).toContain('javascript');
      expect(sw.headers.get('cache-control')).toBe('no-cache');
      expect(Buffer.from(await sw.arrayBuffer()).equals(readFileSync(prebuilt))).toBe(true);
      const map = await fetch(new URL('sw.js.map', base));
      expect(map.status).toBe(200);
      expect(((await map.json()) as { version: number }).version).toBe(3);
    } finally {
      await server.close();
    }
  });
});
