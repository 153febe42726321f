import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createTestControl } from './control.js';
import { createRequestHandler } from './router.js';
import { createState } from './state.js';
import type { RunningServer, ServerOptions } from './types.js';

export { DEMO_CREDENTIALS } from './routes-auth.js';
export { MALFORMED_VARIANTS } from './faults.js';
export type {
  Counters,
  FamilyCounters,
  MalformedVariant,
  RefreshFault,
  RefreshLatency,
  RequestRecord,
  UploadRecord,
  RunningServer,
  RuntimeConfig,
  ServerOptions,
  TestControl,
} from './types.js';

const HOST = '127.0.0.1';

/**
 * Starts the demo auth + API server on 127.0.0.1.
 * @example
 * const server = await startServer({ accessTtlSeconds: 2.5, testControl: true });
 * await fetch(`${server.url}/api/public/ping`);
 * await server.close();
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const state = createState(options);
  const control = createTestControl(state);
  const server = createServer(createRequestHandler(state, control));
  // Tracked ourselves: closeAllConnections() misses sockets that never sent a full request.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}`,
    port,
    control,
    close() {
      closing ??= new Promise<void>((resolve) => {
        state.lifetime.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
