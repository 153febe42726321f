import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthFetch } from '../../src/auth-fetch.js';
import { APP, deferred, fakeSource, flush } from './fake-source.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | null;
  contentType: string | null;
  body: Uint8Array;
}

/** Plays the API server behind a stubbed global fetch: `/api/*` wants `Bearer <valid>`. */
function apiServer(valid: string | null) {
  const seen: Seen[] = [];
  const responses: Response[] = [];
  const fetchStub = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = new Uint8Array(await request.arrayBuffer());
    const authorization = request.headers.get('authorization');
    seen.push({
      method: request.method,
      url: request.url,
      authorization,
      contentType: request.headers.get('content-type'),
      body,
    });
    const protectedPath = new URL(request.url).pathname.startsWith('/api/');
    const ok = !protectedPath || (valid !== null && authorization === `Bearer ${valid}`);
    const response = new Response(ok ? 'ok' : 'expired', { status: ok ? 200 : 401 });
    responses.push(response);
    return response;
  });
  vi.stubGlobal('fetch', fetchStub);
  return { seen, responses, fetchStub };
}

function setup(options: Parameters<typeof fakeSource>[0] & { valid?: string | null } = {}) {
  const server = apiServer(options.valid === undefined ? 'at-1' : options.valid);
  const { source, state } = fakeSource(options);
  return { ...server, source, state, authFetch: createAuthFetch(source) };
}

/** Every byte value, including sequences that are not valid UTF-8. */
const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + 0xff) % 256);

beforeEach(() => {
  vi.stubGlobal('location', new URL(`${APP}/app/page`));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('createAuthFetch on a controlled page', () => {
  it('passes the request through untouched and hands back a 401 as it is', async () => {
    const { seen, source, authFetch } = setup({ controlled: true });
    const response = await authFetch(`${APP}/api/upload`, {
      method: 'PUT',
      body: binary,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.status).toBe(401);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      authorization: null,
      contentType: 'application/octet-stream',
    });
    expect(seen[0]?.body).toEqual(binary);
    expect(source.tokenInfo).not.toHaveBeenCalled();
    expect(source.recover).not.toHaveBeenCalled();
  });
});

describe('createAuthFetch on an uncontrolled page', () => {
  it('adds the bearer token to in-scope requests', async () => {
    const { seen, authFetch } = setup();
    const response = await authFetch(`${APP}/api/users`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    expect(seen).toEqual([
      expect.objectContaining({ method: 'GET', url: `${APP}/api/users`, authorization: 'Bearer at-1' }),
    ]);
  });

  it('on a 401 recovers once and replays once with the new token and a byte-identical binary body', async () => {
    const { seen, responses, source, authFetch } = setup({ valid: 'at-2' });
    const response = await authFetch(
      new Request(`${APP}/api/upload?x=1`, {
        method: 'POST',
        body: binary,
        headers: { 'content-type': 'application/octet-stream', 'x-app': 'kept' },
      }),
    );
    expect(response.status).toBe(200);
    expect(source.recover).toHaveBeenCalledTimes(1);
    expect(source.recover).toHaveBeenCalledWith(
      expect.objectContaining({ generation: 1, session: 'login-1' }),
    );
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer at-1', 'Bearer at-2']);
    for (const attempt of seen) {
      expect(attempt).toMatchObject({
        method: 'POST',
        url: `${APP}/api/upload?x=1`,
        contentType: 'application/octet-stream',
      });
      expect(attempt.body).toEqual(binary);
    }
    // The first answer was discarded, not left hanging.
    expect(responses[0]?.bodyUsed).toBe(true);
  });

  it('replays a FormData upload with the same bytes and boundary', async () => {
    const { seen, authFetch } = setup({ valid: 'at-2' });
    const form = new FormData();
    form.append('file', new Blob([binary], { type: 'application/octet-stream' }), 'blob.bin');
    form.append('name', 'päckchen');
    await authFetch(`${APP}/api/files`, { method: 'POST', body: form });
    expect(seen).toHaveLength(2);
    expect(seen[1]?.contentType).toBe(seen[0]?.contentType);
    expect(seen[0]?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[1]?.body).toEqual(seen[0]?.body);
  });

  it('keeps other headers and sends the headers of the replay fresh (no stale token)', async () => {
    const { fetchStub, authFetch } = setup({ valid: 'at-2' });
    await authFetch(`${APP}/api/users`, { headers: { 'x-app': 'kept' } });
    const requests = fetchStub.mock.calls.map(([input]) => input as Request);
    expect(requests.map((r) => r.headers.get('x-app'))).toEqual(['kept', 'kept']);
    expect(requests.map((r) => r.headers.get('authorization'))).toEqual(['Bearer at-1', 'Bearer at-2']);
  });

  it('returns a second 401 as the response, with exactly one recover and one replay', async () => {
    const { seen, source, authFetch } = setup({ valid: null });
    const response = await authFetch(`${APP}/api/users`, { method: 'DELETE' });
    expect(response.status).toBe(401);
    expect(source.recover).toHaveBeenCalledTimes(1);
    expect(seen).toHaveLength(2);
  });

  it('returns the first 401 when the worker cannot recover', async () => {
    const { seen, state, authFetch } = setup({ valid: 'at-2' });
    state.failRecover = true;
    const response = await authFetch(`${APP}/api/users`);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('expired');
    expect(seen).toHaveLength(1);
  });

  it('sends the request without a token when the worker has none', async () => {
    const { seen, state, source, authFetch } = setup();
    state.failTokenInfo = true;
    const response = await authFetch(`${APP}/api/users`, { method: 'POST', body: binary });
    expect(response.status).toBe(401);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ authorization: null });
    expect(seen[0]?.body).toEqual(binary);
    expect(source.recover).not.toHaveBeenCalled();
  });

  it('leaves out-of-scope requests and an app-set Authorization alone', async () => {
    const { seen, source, authFetch } = setup();
    await authFetch(`${APP}/public/page`);
    await authFetch('https://app.test.evil.test/api/users');
    const own = await authFetch(`${APP}/api/users`, { headers: { Authorization: 'Basic dXNlcjpwdw==' } });
    expect(own.status).toBe(401);
    expect(seen.map((s) => s.authorization)).toEqual([null, null, 'Basic dXNlcjpwdw==']);
    expect(source.tokenInfo).not.toHaveBeenCalled();
    expect(source.recover).not.toHaveBeenCalled();
  });
});

describe('createAuthFetch follows the worker’s rules on an uncontrolled page', () => {
  it('replaces an app-set Authorization when the worker does not respect it', async () => {
    const { seen, state, authFetch } = setup();
    state.respectExistingAuthorization = false;
    const response = await authFetch(`${APP}/api/users`, { headers: { Authorization: 'Bearer anon-key' } });
    expect(response.status).toBe(200);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer at-1']);
  });

  it('sends a login through the worker’s capture, never itself, with the exact body', async () => {
    const { seen, source, authFetch } = setup();
    const response = await authFetch(`${APP}/api/auth/login`, {
      method: 'POST',
      body: '{"username":"demo"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      access_token: 'at-login',
      expires_in: 60,
      echoed: '{"username":"demo"}',
    });
    expect(seen).toEqual([]);
    expect(source.captureLogin.mock.calls[0]?.[0]).toMatchObject({
      method: 'POST',
      url: `${APP}/api/auth/login`,
      headers: [['content-type', 'application/json']],
    });
  });

  it('rejects with the abort reason at once when aborted while the 401 recovery waits', async () => {
    const { seen, source, authFetch } = setup({ valid: 'at-2' });
    const refresh = deferred();
    source.recover.mockImplementationOnce(async () => {
      await refresh.promise;
      return { accessToken: 'at-2', generation: 2, session: 'login-1', expiresIn: 60_000 };
    });
    const controller = new AbortController();
    const outcome = authFetch(`${APP}/api/users`, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(source.recover).toHaveBeenCalled());
    controller.abort();
    expect(await outcome).toMatchObject({ name: 'AbortError' });
    refresh.resolve();
    await flush();
    expect(seen).toHaveLength(1);
  });
});

describe('createAuthFetch at a worker hand-over (docs/platform-facts.md §19)', () => {
  /** A controlled page whose first request is answered 401 by the server while `change` happens. */
  function handOver({ change = true, marked = false } = {}) {
    const container = { controller: { id: 'old' } as object | null };
    vi.stubGlobal('navigator', { serviceWorker: container });
    const seen: string[] = [];
    const fetchStub = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      seen.push(request.method);
      if (seen.length > 1) return new Response('ok', { status: 200 });
      // Sent around both workers as the new version activated: no token, so the server says 401.
      if (change) container.controller = { id: 'new' };
      return new Response('expired', {
        status: 401,
        headers: marked ? { 'x-token-broker-error': 'session-changed' } : {},
      });
    });
    vi.stubGlobal('fetch', fetchStub);
    const { source } = fakeSource({ controlled: true });
    return { seen, authFetch: createAuthFetch(source) };
  }

  it('sends a request without a body once more when the controller changed while it was out', async () => {
    const { seen, authFetch } = handOver();
    expect((await authFetch(`${APP}/api/me`)).status).toBe(200);
    expect(seen).toEqual(['GET', 'GET']);
  });

  it('hands back the 401 when the controller did not change, the worker marked it, or the request had a body', async () => {
    for (const [options, init] of [
      [{ change: false }, undefined],
      [{ marked: true }, undefined],
      [{}, { method: 'POST', body: 'x' }],
    ] as const) {
      const { seen, authFetch } = handOver(options);
      expect((await authFetch(`${APP}/api/me`, init)).status).toBe(401);
      expect(seen).toHaveLength(1);
    }
  });
});
