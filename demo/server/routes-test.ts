import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body.js';
import { send, sendJson } from './respond.js';
import type { TestControl } from './types.js';

export const TEST_PREFIX = '/__test/';

/** A plain worker: takes control, serves nothing itself, never answers a message. */
export const PLAIN_WORKER = `self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', () => undefined);
`;

type Action = (control: TestControl, body: unknown) => unknown;

const POST_ACTIONS: Record<string, Action> = {
  reset: (control) => control.reset(),
  faults(control, body) {
    if (!Array.isArray(body)) throw new TypeError('expected a JSON array of faults');
    control.injectRefreshFaults(body);
  },
  latency: (control, body) => control.setRefreshLatency(asObject(body)),
  config: (control, body) => control.configure(asObject(body)),
  revoke(control, body) {
    const { reason } = asObject(body);
    if (reason !== undefined && typeof reason !== 'string') throw new TypeError('reason must be a string');
    control.revokeAll(reason);
  },
  offline(control, body) {
    const { offline } = asObject(body);
    if (typeof offline !== 'boolean') throw new TypeError('expected {"offline": boolean}');
    control.setOffline(offline);
  },
};

function asObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new TypeError('expected a JSON object');
  return body as Record<string, unknown>;
}

/** `/__test/*` over HTTP, for fixtures that run outside the server's process. */
export async function handleTestRoute(
  control: TestControl,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const name = pathname.slice(TEST_PREFIX.length);
  if (name === 'plain-sw.js') {
    // A service worker that is not the broker (it ignores messages), for the protocol handshake tests.
    send(
      res,
      200,
      { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-cache', 'Service-Worker-Allowed': '/' },
      PLAIN_WORKER,
    );
    return;
  }
  if (name === 'counters') {
    if (req.method === 'GET') sendJson(res, 200, control.counters());
    else sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'GET' });
    return;
  }
  const action = Object.hasOwn(POST_ACTIONS, name) ? POST_ACTIONS[name] : undefined;
  if (!action) {
    sendJson(res, 404, { error: 'not_found' });
    return;
  }
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
    return;
  }
  const raw = await readBody(req);
  try {
    if (raw === null) throw new TypeError('body too large');
    const text = raw.toString('utf8').trim();
    action(control, text === '' ? undefined : JSON.parse(text));
  } catch (error) {
    const description = error instanceof Error ? error.message : 'invalid request';
    sendJson(res, 400, { error: 'invalid_request', error_description: description });
    return;
  }
  sendJson(res, 200, { ok: true });
}
