// The app origin of the interop suite: the interop page (built by ./build-app.ts), the
// standalone `sw.js`, its config, and a resource API under `/api/` that validates bearer
// tokens with a verifier the spec supplies (e.g. JWKS of a real OIDC provider).
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { listenOnLoopback } from './listen.js';

/** What the resource server concluded about one bearer token. */
export type Verdict = { ok: true; subject: string } | { ok: false; reason: string };

/** The request a token came with, for verifiers that check more than the token (DPoP proofs). */
export interface ApiRequestInfo {
  method: string;
  /** Absolute URL as the server was addressed. */
  url: string;
  /** `Bearer` or `DPoP`. */
  scheme: string;
  /** The `DPoP` header, if any. */
  proof: string | undefined;
}

/** One request to `/api/…`, as the resource server saw it. */
export interface ApiRecord {
  at: number;
  path: string;
  status: number;
  hadToken: boolean;
  /** The authorization scheme (`Bearer`, `DPoP`), when a token came. */
  scheme?: string;
  /** Why the token was refused (the verifier's reason), for 401s. */
  reason?: string;
}

export interface AppServerOptions {
  /** Directory of the built interop page. */
  staticDir: string;
  /** The standalone worker to serve as `/sw.js`. */
  swScript: string;
}

export interface AppServer {
  url: string;
  api: ApiRecord[];
  /** What the page reads from `/interop-config.json` (worker config, login parameters). */
  setPageConfig(config: unknown): void;
  /** How `/api/` checks a bearer token. Until set, every token is refused. */
  setVerifier(verify: Verifier): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

export type Verifier = (token: string, request: ApiRequestInfo) => Promise<Verdict>;

export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  let pageConfig: unknown = null;
  let verify: Verifier = async () => ({ ok: false, reason: 'no verifier' });
  const api: ApiRecord[] = [];

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache', ...extra }).end(body);
  };

  async function serveApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const auth = /^(Bearer|DPoP) (\S+)$/.exec(req.headers.authorization ?? '');
    const token = auth?.[2];
    const proof = req.headers.dpop;
    const info: ApiRequestInfo = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', listening.url).href,
      scheme: auth?.[1] ?? '',
      proof: typeof proof === 'string' ? proof : undefined,
    };
    const verdict: Verdict = token ? await verify(token, info) : { ok: false, reason: 'no token' };
    const status = verdict.ok ? 200 : 401;
    api.push({
      at: Date.now(),
      path,
      status,
      hadToken: token !== undefined,
      ...(auth ? { scheme: auth[1] } : {}),
      ...(verdict.ok ? {} : { reason: verdict.reason }),
    });
    if (verdict.ok) send(res, 200, 'application/json', JSON.stringify({ sub: verdict.subject }));
    else
      send(res, 401, 'application/json', JSON.stringify({ error: 'invalid_token' }), {
        'WWW-Authenticate': `${info.scheme === 'DPoP' ? 'DPoP' : 'Bearer'} error="invalid_token"`,
      });
  }

  async function serveFile(res: ServerResponse, file: string): Promise<void> {
    const body = await readFile(file).catch(() => null);
    if (body === null) send(res, 404, 'text/plain', 'Not found');
    else send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', body);
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://app.invalid').pathname;
    const handle = async (): Promise<void> => {
      if (path.startsWith('/api/')) return serveApi(req, res, path);
      if (req.method !== 'GET') return send(res, 405, 'text/plain', 'Method not allowed');
      if (path === '/sw.js') {
        const body = await readFile(options.swScript);
        return send(res, 200, TYPES['.js']!, body, { 'Service-Worker-Allowed': '/' });
      }
      if (path === '/interop-config.json')
        return send(res, 200, 'application/json', JSON.stringify(pageConfig));
      if (path === '/' || path === '/callback') return serveFile(res, join(options.staticDir, 'index.html'));
      const file = normalize(join(options.staticDir, path));
      if (!file.startsWith(options.staticDir)) return send(res, 404, 'text/plain', 'Not found');
      return serveFile(res, file);
    };
    handle().catch((error: unknown) => send(res, 500, 'text/plain', String(error)));
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    api,
    setPageConfig: (config) => void (pageConfig = config),
    setVerifier: (fn) => void (verify = fn),
    close: () => listening.close(),
  };
}
