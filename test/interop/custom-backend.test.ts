// The README's custom-backend recipe (examples/worker/custom-backend.ts), imported as is, against
// a real HTTP server speaking that dialect on 127.0.0.1: rotation with reuse detection, a wrapped
// answer, and its own dead-session codes. Assertions are on what the server saw.
import 'fake-indexeddb/auto';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../../e2e/interop/listen.js';
import { customBackend } from '../../examples/worker/custom-backend.js';
import { Broker } from '../../sw/broker.js';
import { forwardWithToken } from '../../sw/forward.js';
import { createIdbStore } from '../../sw/store.js';
import { Bus, Mutex } from '../sw/harness.js';

interface Seen {
  header: string | null;
  body: string;
  status: number;
  code?: string;
}

/** The backend: `X-Refresh-Token` in, `{data: {access, refresh, expiresIn}}` out, 401 codes for dead sessions. */
async function startBackend() {
  const seen: Seen[] = [];
  const api: Array<{ auth: string | undefined; status: number }> = [];
  const state = { access: 'a0', refresh: 'r0', used: new Set<string>(), revoked: false, gatewayDown: false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown): void =>
        void res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/auth/session/refresh' && req.method === 'POST') {
        const header = req.headers['x-refresh-token']?.toString() ?? null;
        const entry: Seen = { header, body: Buffer.concat(chunks).toString(), status: 200 };
        seen.push(entry);
        const fail = (status: number, code?: string): void => {
          Object.assign(entry, { status, code });
          reply(status, code ? { code } : { message: 'Unauthorized' });
        };
        if (state.gatewayDown) return fail(401); // a proxy's 401: no code of the backend's
        if (state.revoked) return fail(401, 'REFRESH_TOKEN_REVOKED');
        if (header !== null && state.used.has(header)) {
          state.revoked = true;
          return fail(401, 'REFRESH_TOKEN_REUSED');
        }
        if (header !== state.refresh) return fail(400, 'BAD_REQUEST');
        state.used.add(header);
        state.access = `a-${randomBytes(6).toString('hex')}`;
        state.refresh = `r-${randomBytes(6).toString('hex')}`;
        return reply(200, { data: { access: state.access, refresh: state.refresh, expiresIn: 900 } });
      }
      const auth = req.headers.authorization;
      const status = auth === `Bearer ${state.access}` ? 200 : 401;
      api.push({ auth, status });
      reply(status, status === 200 ? { ok: true } : { error: 'expired' });
    });
  });
  const listening = await listenOnLoopback(server);
  return { url: listening.url, seen, api, state, close: listening.close };
}

type Backend = Awaited<ReturnType<typeof startBackend>>;
let backend: Backend;
const pending: Array<Promise<unknown>> = [];

beforeEach(async () => {
  backend = await startBackend();
});
afterEach(async () => {
  await Promise.allSettled(pending.splice(0));
  await backend.close();
});

/** The worker of an app served by the backend itself (same origin), configured with the recipe. */
async function loggedInBroker() {
  const bus = new Bus();
  const broker = new Broker({
    origin: backend.url,
    store: createIdbStore(`custom-${crypto.randomUUID()}`),
    broadcaster: bus.endpoint(),
    fetch: (input, init) => fetch(input, init),
    config: { ...customBackend, maxRefreshAttempts: 2, backoff: { initialSeconds: 0.01, maxSeconds: 0.05 } },
    lock: new Mutex().lock,
  });
  await broker.setSession({
    accessToken: backend.state.access,
    refreshToken: backend.state.refresh,
    expiresIn: 900,
  });
  const forward = (path: string): Promise<Response> =>
    forwardWithToken(
      broker,
      new Request(`${backend.url}${path}`),
      (p) => void pending.push(p),
      (input, init) => fetch(input, init),
    );
  return { broker, bus, forward };
}

describe('custom backend recipe', () => {
  it('rotates through the hooks: token in the header, no body, the wrapped answer stored', async () => {
    const { broker } = await loggedInBroker();
    const sent = [backend.state.refresh];
    for (let i = 0; i < 3; i++) sent.push((await broker.refresh('explicit')).refreshToken);
    expect(backend.seen.map((s) => [s.header, s.body, s.status])).toEqual(
      sent.slice(0, 3).map((t) => [t, '', 200]),
    );
    expect(broker.currentSession()).toMatchObject({
      accessToken: backend.state.access,
      refreshToken: backend.state.refresh,
    });
    expect(broker.currentSession()!.expiresAt! - broker.currentSession()!.receivedAt).toBe(900_000);
  });

  it('concurrent 401s → one refresh, every request replayed', async () => {
    const { forward } = await loggedInBroker();
    backend.state.access = 'rotated-elsewhere'; // the API stops accepting the token the broker holds
    const responses = await Promise.all(Array.from({ length: 10 }, () => forward('/api/items')));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(backend.seen).toHaveLength(1);
  });

  it("the backend's dead-session code ends the session in every tab", async () => {
    const { broker, bus } = await loggedInBroker();
    backend.state.revoked = true;
    await expect(broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-rejected' });
    expect(backend.seen.map((s) => s.code)).toEqual(['REFRESH_TOKEN_REVOKED']);
    expect(broker.currentSession()).toBeNull();
    expect(bus.of('logout')).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
  });

  it("a 401 without the backend's codes (a proxy) is transient: retried, session kept", async () => {
    const { broker, bus } = await loggedInBroker();
    backend.state.gatewayDown = true;
    await expect(broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(backend.seen.map((s) => s.status)).toEqual([401, 401]);
    expect(broker.currentSession()).not.toBeNull();
    expect(bus.of('logout')).toEqual([]);
  });
});
