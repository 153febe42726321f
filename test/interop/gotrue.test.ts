// Issue 9: the `gotrue` preset against a fixture that follows Supabase Auth's documented refresh
// request and answers (e2e/interop/gotrue-fixture.ts), over real HTTP on 127.0.0.1. The broker is
// the real worker Broker over fake-indexeddb; every assertion is on what the fixture saw.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BroadcastMessage } from '../../shared/protocol.js';
import { Broker } from '../../sw/broker.js';
import { forwardWithToken } from '../../sw/forward.js';
import type { TokenBrokerConfig } from '../../sw/settings.js';
import { createIdbStore } from '../../sw/store.js';
import {
  GOTRUE_EMAIL,
  GOTRUE_PASSWORD,
  startGoTrueFixture,
  type GoTrueFixture,
} from '../../e2e/interop/gotrue-fixture.js';
import { Bus, Mutex } from '../sw/harness.js';

const APP = 'https://app.example';

/** The README's Supabase recipe, pointed at the fixture. */
function supabaseConfig(fixture: GoTrueFixture): TokenBrokerConfig {
  return {
    tokenEndpoint: `${fixture.url}/auth/v1/token`,
    format: 'gotrue',
    apiKey: fixture.apiKey,
    allowedOrigins: [fixture.url],
    apiPaths: ['/rest/v1/', '/storage/v1/', '/functions/v1/'],
    respectExistingAuthorization: false,
    refreshTimeoutSeconds: 2,
    requestWaitSeconds: 5,
    backoff: { initialSeconds: 0.01, maxSeconds: 0.05 },
  };
}

let fixture: GoTrueFixture;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  fixture = await startGoTrueFixture();
  cleanups.push(() => fixture.close());
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A worker's broker, fresh IndexedDB; `workerFetch` is the worker's own network (refreshes). */
function newBroker(
  config: Partial<TokenBrokerConfig> = {},
  workerFetch: typeof fetch = (input, init) => fetch(input, init),
) {
  const bus = new Bus();
  const pending: Array<Promise<unknown>> = [];
  const broker = new Broker({
    origin: APP,
    store: createIdbStore(`gotrue-${crypto.randomUUID()}`),
    broadcaster: bus.endpoint(),
    fetch: workerFetch,
    config: { ...supabaseConfig(fixture), ...config },
    lock: new Mutex().lock,
  });
  const forward = (path: string, init: RequestInit = {}): Promise<Response> =>
    forwardWithToken(
      broker,
      new Request(`${fixture.url}${path}`, init),
      (p) => void pending.push(p),
      (input, init) => fetch(input, init),
    );
  const logouts = (): BroadcastMessage[] => bus.of('logout');
  cleanups.push(() => Promise.allSettled(pending));
  return { broker, forward, logouts };
}

/** Signs in with the password grant, as supabase-js `signInWithPassword` does, and hands the answer to the broker. */
async function signIn(broker: Broker): Promise<Record<string, unknown>> {
  const response = await fetch(`${fixture.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: fixture.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: GOTRUE_EMAIL, password: GOTRUE_PASSWORD }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as Record<string, unknown>;
  await broker.setSession({
    accessToken: String(body.access_token),
    refreshToken: String(body.refresh_token),
    expiresIn: Number(body.expires_in),
  });
  return body;
}

const refreshCalls = () => fixture.tokenCalls.filter((c) => c.grantType === 'refresh_token');
const withApiKey = { headers: { apikey: 'anon-key' } };

describe('gotrue preset against a GoTrue-shaped server', () => {
  it('the password grant answers in the documented shape', async () => {
    const { broker } = newBroker();
    const body = await signIn(broker);
    expect(Object.keys(body).sort()).toEqual([
      'access_token',
      'expires_at',
      'expires_in',
      'refresh_token',
      'token_type',
      'user',
    ]);
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
  });

  it('rotates: each refresh sends the current token once, with apikey, grant_type in the query and a JSON body', async () => {
    const { broker } = newBroker();
    const login = await signIn(broker);
    const sent: string[] = [String(login.refresh_token)];
    for (let i = 0; i < 3; i++) {
      const session = await broker.refresh('explicit');
      sent.push(session.refreshToken);
    }
    const calls = refreshCalls();
    expect(calls.map((c) => c.refreshToken)).toEqual(sent.slice(0, 3));
    for (const call of calls)
      expect(call).toMatchObject({ status: 200, apikey: 'anon-key', contentType: 'application/json' });
    expect(fixture.reuses).toEqual([]);
    // The broker holds exactly the token the server would accept next.
    expect(fixture.activeRefreshTokens()).toEqual([sent[3]]);
    const stored = broker.currentSession()!;
    expect(stored.refreshToken).toBe(sent[3]);
    // `expires_in` counts from arrival; `expires_at` (server clock) is ignored.
    expect(stored.expiresAt! - stored.receivedAt).toBe(3600_000);
  });

  it('many concurrent 401s from the REST API → one refresh, every request replayed with the new token', async () => {
    const { broker, forward } = newBroker();
    await signIn(broker);
    expect((await forward('/rest/v1/todos', withApiKey)).status).toBe(200);
    fixture.expireAccessTokens();
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => forward('/rest/v1/todos', withApiKey)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(refreshCalls()).toHaveLength(1);
    expect(fixture.reuses).toEqual([]);
    expect(fixture.restCalls.filter((c) => c.status === 200)).toHaveLength(13);
  });

  it('supabase-js sends the anon key as its bearer: with respectExistingAuthorization false the worker puts the user token there', async () => {
    const { broker, forward } = newBroker();
    await signIn(broker);
    const anon = { headers: { apikey: 'anon-key', Authorization: 'Bearer anon-key' } };
    expect((await forward('/rest/v1/todos', anon)).status).toBe(200);
    expect(fixture.restCalls.at(-1)).toMatchObject({ status: 200, subject: expect.any(String) });
    // What the API says to the anon bearer a worker that respects existing headers would let through.
    expect((await fetch(`${fixture.url}/rest/v1/todos`, anon)).status).toBe(401);
    expect(fixture.restCalls.at(-1)).toMatchObject({ status: 401, reason: 'anon key, not a user token' });
  });

  it('a reused refresh token gets 400 refresh_token_already_used: the session is cleared and every tab hears refresh-rejected', async () => {
    const { broker, logouts } = newBroker();
    const login = await signIn(broker);
    // Another client (a leaked token, an app without the broker) refreshed twice with it. GoTrue
    // would forgive the broker's token were it the parent of the active one (a lost answer), but it
    // is the grandparent now: reuse.
    let stolen = String(login.refresh_token);
    for (let i = 0; i < 2; i++) {
      const thief = await fetch(`${fixture.url}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { apikey: fixture.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: stolen }),
      });
      expect(thief.status).toBe(200);
      stolen = String(((await thief.json()) as { refresh_token: string }).refresh_token);
    }
    await expect(broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-rejected' });
    expect(refreshCalls().map((c) => [c.status, c.errorCode ?? null])).toEqual([
      [200, null],
      [200, null],
      [400, 'refresh_token_already_used'],
    ]);
    expect(fixture.reuses).toEqual([login.refresh_token]);
    expect(fixture.activeRefreshTokens()).toEqual([]); // GoTrue revoked the family, the thief's token too
    expect(broker.currentSession()).toBeNull();
    expect(logouts()).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
    // Nothing is retried after a definitive rejection.
    await expect(broker.refresh('explicit')).rejects.toMatchObject({ code: 'no-session' });
    expect(refreshCalls()).toHaveLength(3);
  });

  it('refresh_token_not_found (signed out everywhere) ends the session with refresh-rejected', async () => {
    const { broker, forward, logouts } = newBroker();
    await signIn(broker);
    fixture.signOutEverywhere();
    fixture.expireAccessTokens();
    const response = await forward('/rest/v1/todos', withApiKey);
    // The page gets the API's own 401, marked as a dead session; no logout loop, one refresh.
    expect(response.status).toBe(401);
    expect(response.headers.get('x-token-broker-error')).toBe('refresh-rejected');
    expect(refreshCalls().map((c) => c.errorCode)).toEqual(['refresh_token_not_found']);
    expect(logouts()).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
  });

  it('an answer lost on the way (worker killed, connection cut) is forgiven: GoTrue hands the retry the same child', async () => {
    let lost = 0;
    const { broker, logouts } = newBroker({}, async (input, init) => {
      const response = await fetch(input, init);
      if (lost++ > 0) return response;
      // The server rotated, but the worker never hears it: IndexedDB still holds the parent.
      await response.arrayBuffer();
      throw new TypeError('network error');
    });
    const login = await signIn(broker);
    const session = await broker.refresh('explicit');
    expect(refreshCalls().map((c) => [c.refreshToken, c.status])).toEqual([
      [login.refresh_token, 200],
      [login.refresh_token, 200],
    ]);
    expect(fixture.activeRefreshTokens()).toEqual([session.refreshToken]);
    expect(logouts()).toEqual([]);
  });

  it('a missing apikey is refused by the gateway (401 without a GoTrue code): transient, the session is kept', async () => {
    const { broker, logouts } = newBroker({ apiKey: undefined, maxRefreshAttempts: 2 });
    await signIn(broker);
    await expect(broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-unavailable' });
    expect(refreshCalls().map((c) => [c.status, c.apikey])).toEqual([
      [401, null],
      [401, null],
    ]);
    expect(broker.currentSession()).not.toBeNull();
    expect(logouts()).toEqual([]);
  });

  it("GoTrue's versioned error shape ({code, message}) is recognised too", async () => {
    const { broker, logouts } = newBroker({
      // An app that opts into X-Supabase-Api-Version 2024-01-01, as supabase-js does.
      buildRequest: (token, config) =>
        new Request(`${config.tokenEndpoint.href}?grant_type=refresh_token`, {
          method: 'POST',
          headers: {
            apikey: config.apiKey ?? '',
            'Content-Type': 'application/json',
            'X-Supabase-Api-Version': '2024-01-01',
          },
          body: JSON.stringify({ refresh_token: token }),
        }),
    });
    await signIn(broker);
    fixture.signOutEverywhere();
    await expect(broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-rejected' });
    expect(refreshCalls().map((c) => c.errorCode)).toEqual(['refresh_token_not_found']);
    expect(logouts()).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
  });
});
