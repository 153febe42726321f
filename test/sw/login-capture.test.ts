import { describe, expect, it } from 'vitest';
import { ERROR_HEADER } from '../../shared/protocol.js';
import { Broker } from '../../sw/broker.js';
import { captureLogin, MAX_LOGIN_RESPONSE_BYTES } from '../../sw/login-capture.js';
import type { SessionStore } from '../../sw/store.js';
import { apiRequest, jwt, ORIGIN, Rig, START } from './harness.js';

const loginRequest = (headers: Record<string, string> = {}): Request =>
  apiRequest('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: '{"username":"u","password":"p"}',
  });

/** A login endpoint that answers `body` (JSON unless a string) with `status`. */
const answering = (
  body: unknown,
  status = 200,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): typeof fetch =>
  (async () =>
    new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers,
    })) as typeof fetch;

async function capture(rig: Rig, fetchFn: typeof fetch, request = loginRequest()) {
  const response = await captureLogin(rig.broker, request, fetchFn);
  const text = await response.text();
  return {
    status: response.status,
    marker: response.headers.get(ERROR_HEADER),
    text,
    stored: await rig.stored(),
    errors: rig.bus.of('error'),
  };
}

describe('login capture', () => {
  it('stores the tokens and hands the page the answer without refresh_token', async () => {
    const rig = new Rig();
    const out = await capture(
      rig,
      answering({ access_token: 'at-1', refresh_token: 'rt-1', expires_in: 60, user: { name: 'u' } }),
    );
    expect(out).toMatchObject({
      status: 200,
      marker: null,
      stored: { accessToken: 'at-1', refreshToken: 'rt-1' },
      errors: [],
    });
    expect(JSON.parse(out.text)).toEqual({ access_token: 'at-1', expires_in: 60, user: { name: 'u' } });
  });

  it('strips refresh_token at any depth', async () => {
    const rig = new Rig();
    const out = await capture(
      rig,
      answering({
        access_token: 'at-1',
        refresh_token: 'rt-1',
        session: { refresh_token: 'rt-1', list: [{ refresh_token: 'x' }] },
      }),
    );
    expect(out.text).not.toContain('rt-1');
    expect(out.text).not.toContain('refresh_token');
    expect(out.stored?.refreshToken).toBe('rt-1');
  });

  it.each([
    ['null', null],
    ['empty', ''],
    ['a number', 42],
    ['an object', { token: 'rt' }],
    ['header-unsafe', 'rt 1\n'],
  ])(
    'a refresh_token that is %s: the page gets the answer without it, a marker and an error event; nothing stored',
    async (_, value) => {
      const rig = new Rig();
      const out = await capture(
        rig,
        answering({ access_token: 'at-1', refresh_token: value, expires_in: 60 }),
      );
      expect(out.status).toBe(200); // the server's status, never a 5xx it did not send
      expect(out.marker).toBe('login-not-captured');
      expect(JSON.parse(out.text)).toEqual({ access_token: 'at-1', expires_in: 60 });
      expect(out.stored).toBeNull();
      expect(out.errors).toEqual([
        { type: 'error', error: expect.objectContaining({ code: 'login-not-captured' }) },
      ]);
    },
  );

  it('a 2xx without refresh_token or without a usable access token is marked, nothing stored', async () => {
    for (const body of [
      { access_token: 'at-1' },
      { refresh_token: 'rt-1' },
      { access_token: null, refresh_token: 'rt-1' },
    ]) {
      const rig = new Rig();
      const out = await capture(rig, answering(body));
      expect(out, JSON.stringify(body)).toMatchObject({
        status: 200,
        marker: 'login-not-captured',
        stored: null,
      });
      expect(out.text).not.toContain('rt-1');
    }
  });

  it('passes a failed login on, minus any refresh_token', async () => {
    const rig = new Rig();
    const out = await capture(rig, answering({ error: 'invalid_credentials', refresh_token: 'rt-odd' }, 401));
    expect(out).toMatchObject({ status: 401, marker: null, stored: null, errors: [] });
    expect(JSON.parse(out.text)).toEqual({ error: 'invalid_credentials' });
    const html = await capture(rig, answering('<h1>Bad gateway</h1>', 502, { 'Content-Type': 'text/html' }));
    expect(html).toMatchObject({ status: 502, text: '<h1>Bad gateway</h1>', marker: null });
  });

  it('fails closed when the answer mentions a refresh token it cannot read, or is too large to inspect', async () => {
    const rig = new Rig();
    const form = await capture(
      rig,
      answering('access_token=a&refresh_token=r', 200, {
        'Content-Type': 'application/x-www-form-urlencoded',
      }),
    );
    expect(form).toMatchObject({ status: 503, marker: 'login-not-captured', stored: null });
    expect(form.text).not.toContain('refresh_token=r');
    const big = `{"refresh_token":"rt-1","pad":"${'x'.repeat(MAX_LOGIN_RESPONSE_BYTES)}"}`;
    const large = await capture(rig, answering(big));
    expect(large).toMatchObject({ status: 503, marker: 'login-not-captured', stored: null });
    expect(large.text).not.toContain('rt-1');
  });

  it('never passes on a failed login answer too large to inspect: a JSON error with the status', async () => {
    const rig = new Rig();
    const big = `{"refresh_token":"rt-1","pad":"${'x'.repeat(MAX_LOGIN_RESPONSE_BYTES)}"}`;
    const out = await capture(rig, answering(big, 401));
    expect(out).toMatchObject({ status: 401, marker: 'login-not-captured', stored: null, errors: [] });
    expect(out.text).not.toContain('rt-1');
    expect(JSON.parse(out.text)).toMatchObject({ error: 'login-not-captured' });
  });

  it('passes on a 2xx that is neither JSON nor mentions a refresh token, marked, and tells the app', async () => {
    const rig = new Rig();
    const html = '<!doctype html><title>Proxy</title><p>Signed in</p>';
    const out = await capture(rig, answering(html, 200, { 'Content-Type': 'text/html' }));
    expect(out).toMatchObject({ status: 200, marker: 'login-not-captured', stored: null, text: html });
    expect(out.errors).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'login-not-captured' }) },
    ]);
  });

  it('fails closed when storing fails: a 503 with the marker, never the body', async () => {
    const rig = new Rig();
    const quota = (): Promise<never> => Promise.reject(new DOMException('quota', 'QuotaExceededError'));
    const broken: SessionStore = { ...rig.store, write: quota, update: quota };
    const broker = new Broker({
      origin: ORIGIN,
      store: broken,
      broadcaster: rig.bus.endpoint(),
      fetch: rig.backend.fetch,
      config: { tokenEndpoint: '/api/auth/refresh', loginEndpoint: '/api/auth/login' },
      lock: (fn) => fn(),
    });
    const response = await captureLogin(
      broker,
      loginRequest(),
      answering({ access_token: 'at-1', refresh_token: 'rt-1' }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get(ERROR_HEADER)).toBe('login-not-captured');
    expect(await response.text()).not.toContain('rt-1');
    expect(rig.bus.of('error')).toHaveLength(1);
  });

  it('keeps the refresh token when expires_in is unusable: expiry comes from the JWT', async () => {
    const rig = new Rig();
    const access = jwt({ iat: START / 1000, exp: START / 1000 + 600 });
    const out = await capture(
      rig,
      answering({ access_token: access, refresh_token: 'rt-1', expires_in: '3600s' }),
    );
    expect(out).toMatchObject({
      status: 200,
      marker: null,
      stored: { refreshToken: 'rt-1', expiresAt: START + 600_000 },
    });
    expect(out.errors).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'invalid-token-response' }) },
    ]);
  });

  it('captures a login that carries HTTP Basic credentials, sending them on unchanged', async () => {
    const rig = new Rig();
    let seen: string | null = null;
    const fetchFn = (async (input: RequestInfo | URL) => {
      seen = (input as Request).headers.get('authorization');
      return new Response(JSON.stringify({ access_token: 'at-9', refresh_token: 'rt-9' }), {
        headers: { 'Content-Type': 'application/json' },
      });
    }) as typeof fetch;
    const response = await rig.forward(loginRequest({ Authorization: 'Basic Y2xpZW50OnNlY3JldA==' }));
    expect(response.status).toBe(200);
    expect((await response.json()) as object).not.toHaveProperty('refresh_token');
    const direct = await captureLogin(
      rig.broker,
      loginRequest({ Authorization: 'Basic Y2xpZW50OnNlY3JldA==' }),
      fetchFn,
    );
    expect(seen).toBe('Basic Y2xpZW50OnNlY3JldA==');
    expect(await direct.text()).not.toContain('rt-9');
    expect((await rig.stored())?.refreshToken).toBe('rt-9');
  });
});
