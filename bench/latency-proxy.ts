// A reverse proxy that holds every request for a random 20–50 ms before passing it on: the
// round trip of a real network, so the bench can show what the worker's own milliseconds weigh
// next to it. One origin per proxy, on 127.0.0.1, closed by the bench's cleanup.
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Latency {
  minMs: number;
  maxMs: number;
}

/** The bench's realistic network: a round trip of 20 to 50 ms, drawn anew for every request. */
export const REALISTIC_LATENCY: Latency = { minMs: 20, maxMs: 50 };

export interface LatencyProxy {
  url: string;
  /** Requests the proxy has passed on (to check nothing bypassed it). */
  forwarded(): number;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startLatencyProxy(target: string, latency: Latency): Promise<LatencyProxy> {
  const upstream = new URL(target);
  let forwarded = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const delay = latency.minMs + Math.random() * (latency.maxMs - latency.minMs);
    // The whole round trip's delay before the request goes on: the page's clock sees the same
    // total, and the body streams through untouched afterwards.
    void sleep(delay).then(() => {
      forwarded++;
      const outgoing = forward(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
          answer.pipe(res);
        },
      );
      outgoing.on('error', () => res.destroy());
      req.pipe(outgoing);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
