import { request } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../demo/server/index.js';
import { start } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'sw-token-broker-static-'));
const site = join(root, 'site');
mkdirSync(join(site, 'assets'), { recursive: true });
writeFileSync(join(root, 'secret.txt'), 'outside the site');
writeFileSync(join(site, 'index.html'), '<!doctype html><title>demo</title>');
writeFileSync(join(site, 'sw.js'), '/* built worker */');
const FILES: Record<string, string> = {
  'assets/app.js': 'text/javascript; charset=utf-8',
  'assets/app.css': 'text/css; charset=utf-8',
  'assets/app.js.map': 'application/json; charset=utf-8',
  'data.json': 'application/json; charset=utf-8',
  'manifest.webmanifest': 'application/manifest+json; charset=utf-8',
  'icon.png': 'image/png',
  'icon.svg': 'image/svg+xml',
};
for (const file of Object.keys(FILES)) writeFileSync(join(site, file), `content of ${file}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** GET with the path sent byte for byte (fetch would normalise the dot segments away). */
function rawGet(server: RunningServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static files', () => {
  it('serves index.html for / with no-cache', async () => {
    const server = await start({ staticDir: site });
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toContain('<title>demo</title>');
  });

  it('serves the demo page again under /apps/<name>/ (another app on the origin), nothing else there', async () => {
    const server = await start({ staticDir: site });
    const page = await fetch(`${server.url}/apps/b/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>demo</title>');
    for (const path of ['/apps/b', '/apps/b/x/', '/apps/-b/', '/apps/b/index.txt'])
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    expect(await (await fetch(`${server.url}/sw.js?name=b`)).text()).toBe('/* built worker */');
  });

  it('sends the right content type for each kind of asset', async () => {
    const server = await start({ staticDir: site });
    for (const [file, type] of Object.entries(FILES)) {
      const res = await fetch(`${server.url}/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toBe(type);
      expect(res.headers.get('cache-control'), file).toBe('no-cache');
      expect(await res.text()).toBe(`content of ${file}`);
    }
  });

  it('serves sw.js with Service-Worker-Allowed: /', async () => {
    const server = await start({ staticDir: site });
    const res = await fetch(`${server.url}/sw.js`);
    expect(res.headers.get('service-worker-allowed')).toBe('/');
    expect(await res.text()).toBe('/* built worker */');
  });

  it('serves swScript instead, re-read on every request so tests can swap builds', async () => {
    const script = join(root, 'worker-v1.js');
    writeFileSync(script, '/* v1 */');
    const server = await start({ staticDir: site, swScript: script });
    const first = await fetch(`${server.url}/sw.js`);
    expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(first.headers.get('service-worker-allowed')).toBe('/');
    expect(await first.text()).toBe('/* v1 */');
    writeFileSync(script, '/* v2 */');
    expect(await (await fetch(`${server.url}/sw.js`)).text()).toBe('/* v2 */');
  });

  it('never serves a file outside staticDir', async () => {
    const server = await start({ staticDir: site });
    for (const path of [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%00',
    ]) {
      const res = await rawGet(server, path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('outside the site');
    }
  });

  it('answers 404 for unknown files and everything when there is no staticDir', async () => {
    const withSite = await start({ staticDir: site });
    expect((await fetch(`${withSite.url}/nope.js`)).status).toBe(404);
    const bare = await start();
    expect((await fetch(`${bare.url}/`)).status).toBe(404);
    expect((await fetch(`${bare.url}/sw.js`)).status).toBe(404);
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const server = await start({ staticDir: site });
    const head = await fetch(`${server.url}/index.html`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('<!doctype html><title>demo</title>'.length));
    expect(await head.text()).toBe('');
    const post = await fetch(`${server.url}/index.html`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
  });
});
