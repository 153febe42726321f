import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body.js';
import { demoStats } from './demo-stats.js';
import { clampDelay } from './faults.js';
import { sendJson } from './respond.js';
import type { ServerState } from './state.js';

/** The demo page's lab surface; mounted only in demo mode (`ServerOptions.demoMode`). */
export const DEMO_PREFIX = '/__demo/';

/** What the "slow refresh" toggle adds to every refresh call. */
export const SLOW_REFRESH_MS = 3000;
/** The race's network latency for refresh calls, and for how long it applies. */
const RACE_LATENCY_MS = 400;
const RACE_WINDOW_MS = 5000;

type Body = Record<string, unknown>;
type Action = (state: ServerState, body: Body) => unknown;

const TRIGGERS = new Set(['proactive', 'unauthorized', 'explicit']);

const ACTIONS: Record<string, Action> = {
  reset(state) {
    state.counters.reset();
    state.ledger.reset();
  },
  toggle(state, body) {
    const flag = (name: string): boolean | undefined => {
      const v = body[name];
      if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean`);
      return v;
    };
    const [refresh500, slowRefresh, outage] = [flag('refresh500'), flag('slowRefresh'), flag('outage')];
    if (refresh500 !== undefined) state.demo.refresh500 = refresh500;
    if (slowRefresh !== undefined) state.demo.slowRefreshMs = slowRefresh ? SLOW_REFRESH_MS : 0;
    if (outage !== undefined && outage !== state.offline) {
      state.offline = outage;
      state.ledger.add({ kind: 'outage', at: Date.now(), on: outage });
    }
  },
  /**
   * The race's moment: every access token issued so far is answered 401 from now on (as if the
   * server's clock ran ahead), and refresh calls see a mobile network's latency for a few seconds.
   */
  race(state, body) {
    const now = Date.now();
    state.demo.accessNotBefore = now;
    state.demo.raceLatencyMs = body.latencyMs === undefined ? RACE_LATENCY_MS : clampDelay(body.latencyMs);
    state.demo.raceLatencyUntil = now + RACE_WINDOW_MS;
    return { at: now };
  },
  note(state, body) {
    const tab = typeof body.tab === 'string' && /^[\w.-]{1,40}$/.test(body.tab) ? body.tab : null;
    if (body.kind === 'refreshed') {
      const { generation, trigger } = body;
      if (typeof generation !== 'number' || !Number.isInteger(generation) || !TRIGGERS.has(String(trigger)))
        throw new TypeError('expected a generation and a trigger');
      state.ledger.add({ kind: 'note', at: Date.now(), generation, trigger: String(trigger), tab });
      return;
    }
    if (body.kind === 'offline') {
      const { from, until } = body;
      if (typeof from !== 'number' || typeof until !== 'number' || !(from <= until))
        throw new TypeError('expected from <= until');
      state.ledger.add({ kind: 'offline', at: from, until, tab });
      return;
    }
    throw new TypeError('unknown note kind');
  },
};

export async function handleDemoRoute(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const name = pathname.slice(DEMO_PREFIX.length);
  if (name === 'stats') {
    if (req.method === 'GET') sendJson(res, 200, demoStats(state));
    else sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'GET' });
    return;
  }
  const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (!action) {
    sendJson(res, 404, { error: 'not_found' });
    return;
  }
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
    return;
  }
  const raw = await readBody(req, 64 * 1024);
  let result: unknown;
  try {
    if (raw === null) throw new TypeError('body too large');
    const text = raw.toString('utf8').trim();
    const body: unknown = text === '' ? {} : JSON.parse(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new TypeError('expected a JSON object');
    result = action(state, body as Body);
  } catch (error) {
    const description = error instanceof Error ? error.message : 'invalid request';
    sendJson(res, 400, { error: 'invalid_request', error_description: description });
    return;
  }
  sendJson(res, 200, result ?? { ok: true });
}
