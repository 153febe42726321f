// A pass-through HTTP proxy in front of the demo server that logs every request with its full
// URL (the server's own log drops the query string), so each tagged storm request
// (`?storm=<tab>-<n>`) can be matched to exactly one record. Bodies and headers pass through
// untouched; a dropped upstream connection (the server's outage switch) drops the client's.
import { request as httpRequest, createServer, type Agent } from 'node:http';
import { Agent as HttpAgent } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxyRecord {
  method: string;
  /** Path and query as the browser sent them. */
  url: string;
  authorization: boolean;
  /** Status the upstream answered, 0 when the connection was dropped. */
  status: number;
}

export interface RecordingProxy {
  url: string;
  records: ProxyRecord[];
  close(): Promise<void>;
}

export async function startRecordingProxy(upstreamPort: number): Promise<RecordingProxy> {
  const records: ProxyRecord[] = [];
  const agent: Agent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const record: ProxyRecord = {
      method: req.method ?? '',
      url: req.url ?? '/',
      authorization: req.headers.authorization !== undefined,
      status: 0,
    };
    records.push(record);
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        record.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      }),
  };
}
