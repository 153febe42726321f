import type { ServerResponse } from 'node:http';

export type Headers = Record<string, string>;

/** Writes a complete response unless the client is already gone (drops, close()). */
export function send(res: ServerResponse, status: number, headers: Headers, body: string | Buffer): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  // API answers are per-user and per-moment: never let a cache or the worker's HTTP cache keep them.
  send(
    res,
    status,
    { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    JSON.stringify(body),
  );
}
