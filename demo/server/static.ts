import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { send, type Headers } from './respond.js';
import type { ServerState } from './state.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** `/apps/<name>/`: the demo page again, as another app on this origin (its own broker name and scope). */
const APP_PAGE = /^\/apps\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/$/;

// Revalidate every time: a stale sw.js or page would hide the build under test.
const BASE_HEADERS: Headers = { 'Cache-Control': 'no-cache' };

function sendText(res: ServerResponse, status: number, text: string, extra: Headers = {}): void {
  send(res, status, { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...extra }, text);
}

/** Serves the built demo (also under `/apps/<name>/`); `/sw.js` may come from `swScript` and may control the whole origin. */
export async function serveStatic(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });
    return;
  }
  const isWorker = pathname === '/sw.js';
  const file =
    isWorker && state.swScript !== undefined
      ? state.swScript
      : await locate(state.staticDir, APP_PAGE.test(pathname) ? '/' : pathname);
  const raw = file === null ? null : await readFile(file).catch(() => null);
  if (file === null || raw === null) {
    sendText(res, 404, 'Not found');
    return;
  }
  const body = state.demoMode && extname(file) === '.html' ? markDemoMode(raw) : raw;
  const headers: Headers = {
    ...BASE_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    ...(isWorker ? { 'Service-Worker-Allowed': '/' } : {}),
  };
  send(res, 200, headers, body);
}

/**
 * Demo mode tells the page so in its markup (`<html data-demo-mode="on">`): the page's lab then
 * starts without probing the server, so outside demo mode the page sends nothing extra.
 */
function markDemoMode(html: Buffer): Buffer {
  return Buffer.from(html.toString('utf8').replace(/<html\b/i, '<html data-demo-mode="on"'), 'utf8');
}

/** The file under `root` that `pathname` names, or null; never anything outside `root`. */
async function locate(root: string | undefined, pathname: string): Promise<string | null> {
  if (root === undefined) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = resolve(root);
  let file = join(base, decoded);
  if (file !== base && !file.startsWith(base + sep)) return null;
  const info = await stat(file).catch(() => null);
  if (info?.isDirectory()) file = join(file, 'index.html');
  else if (!info?.isFile()) return null;
  return file;
}
