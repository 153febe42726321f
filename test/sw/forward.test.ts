import { describe, expect, it } from 'vitest';
import { ERROR_HEADER } from '../../shared/protocol.js';
import { apiRequest, gate, Rig, until, within } from './harness.js';

/** Deterministic "random" bytes covering every byte value, invalid UTF-8 included. */
function noise(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = 0x2545f491;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = i < 256 ? i : x & 0xff;
  }
  return out;
}

/** A logged-in rig whose API no longer accepts the cached access token: the next request meets a 401. */
async function expiredRig(options?: ConstructorParameters<typeof Rig>[0]): Promise<Rig> {
  const rig = new Rig(options);
  await rig.login();
  rig.backend.accessToken = 'server-side-expired';
  return rig;
}

/** Whether the request's event is still held open (`waitUntil`) a few turns after it answered. */
async function heldOpen(rig: Rig): Promise<boolean> {
  let settled = false;
  void Promise.all(rig.pending).then(() => (settled = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return rig.pending.length > 0 && !settled;
}

const bytesOf = async (request: Request) => new Uint8Array(await request.clone().arrayBuffer());
/** Byte arrays compared as base64: fast for large bodies, still a readable diff. */
const b64 = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('base64');

/** The request properties a forwarded attempt must keep from the page's request. */
function sentProperties(sent: Request) {
  const { method, credentials, redirect, referrer, referrerPolicy, keepalive, cache, mode } = sent;
  return { method, credentials, redirect, referrer, referrerPolicy, keepalive, cache, mode };
}
describe('attaching the token', () => {
  it('sends in-scope requests with the current bearer token', async () => {
    const rig = new Rig();
    await rig.login();
    const res = await rig.forward(apiRequest('/api/data', { headers: { 'X-Custom': '1' } }));
    expect(res.status).toBe(200);
    expect(rig.backend.apiCalls[0]).toMatchObject({ auth: `Bearer ${rig.backend.accessToken}` });
    expect(rig.backend.apiCalls[0]?.request.headers.get('x-custom')).toBe('1');
  });

  it('the hot path reads no IndexedDB once the worker is loaded', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.forward(apiRequest());
    const reads = { ...rig.db.counts };
    await Promise.all(Array.from({ length: 20 }, () => rig.forward(apiRequest())));
    expect(rig.db.counts).toEqual(reads);
    expect(rig.backend.apiCalls).toHaveLength(21);
  });

  it('reloads the cached session when another version announces a new generation', async () => {
    const rig = new Rig();
    const other = rig.newBroker();
    await rig.login();
    await other.ready();
    await rig.broker.refresh('explicit');
    await until(() => other.status().generation === 2);
    await rig.forward(apiRequest(), other);
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${rig.backend.accessToken}`]);
  });

  it('leaves a request alone that carries its own Authorization (also before the worker loaded)', async () => {
    const rig = await expiredRig();
    const fresh = rig.newBroker(); // not loaded yet: forward must still apply the rule
    const res = await rig.forward(
      apiRequest('/api/data', { headers: { Authorization: 'Basic dTpw' } }),
      fresh,
    );
    await rig.forward(apiRequest('/api/data', { headers: { Authorization: 'Basic dTpw' } }));
    expect(res.status).toBe(401);
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual(['Basic dTpw', 'Basic dTpw']);
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('overrides the app’s Authorization when respectExistingAuthorization is false', async () => {
    const rig = new Rig({ config: { respectExistingAuthorization: false } });
    await rig.login();
    await rig.forward(apiRequest('/api/data', { headers: { Authorization: 'Basic dTpw' } }));
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${rig.backend.accessToken}`]);
  });

  it('without a session, sends the request without a token and returns its 401 as is', async () => {
    const rig = new Rig();
    const res = await rig.forward(apiRequest());
    expect(res.status).toBe(401);
    expect(res.headers.has(ERROR_HEADER)).toBe(false);
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([null]);
    expect(rig.backend.refreshCount).toBe(0);
  });
});

describe('401 replay', () => {
  it('refreshes once and replays a JSON body byte-identical with the new token', async () => {
    const rig = await expiredRig();
    const request = apiRequest('/api/items', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'ü ✓ \u2028', n: [1, 2] }),
    });
    const expected = await bytesOf(request);
    const res = await rig.forward(request);
    expect(res.status).toBe(200);
    expect(rig.backend.refreshCount).toBe(1);
    const [first, replay] = rig.backend.apiCalls;
    expect(first?.auth).toBe('Bearer at-1');
    expect(replay?.auth).toBe(`Bearer ${rig.backend.accessToken}`);
    expect(first?.body).toEqual(expected);
    expect(replay?.body).toEqual(expected);
    expect(replay?.request.headers.get('content-type')).toBe('application/json');
  });

  it('replays a binary body byte-identical', async () => {
    const rig = await expiredRig();
    const payload = noise(70_000);
    const res = await rig.forward(
      apiRequest('/api/upload', {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: payload,
      }),
    );
    expect(res.status).toBe(200);
    expect(rig.backend.apiCalls.map((c) => b64(c.body))).toEqual([b64(payload), b64(payload)]);
  });

  it('replays a multipart (FormData) body byte-identical, boundary included', async () => {
    const rig = await expiredRig();
    const form = new FormData();
    form.append('title', 'naïve\r\nline');
    form.append('file', new Blob([noise(3000)], { type: 'image/png' }), 'x.png');
    const request = apiRequest('/api/upload', { method: 'POST', body: form });
    const expected = await bytesOf(request);
    const type = request.headers.get('content-type');
    rig.backend.api = async (req, body) => {
      const ok = req.headers.get('authorization') === `Bearer ${rig.backend.accessToken}`;
      if (!ok) return new Response(null, { status: 401 });
      const parsed = await new Response(body, { headers: { 'Content-Type': type ?? '' } }).formData();
      const file = parsed.get('file') as File;
      return Response.json({
        title: parsed.get('title'),
        file: b64(new Uint8Array(await file.arrayBuffer())),
        name: file.name,
      });
    };
    const res = await rig.forward(request);
    expect(await res.json()).toEqual({ title: 'naïve\r\nline', file: b64(noise(3000)), name: 'x.png' });
    expect(rig.backend.apiCalls.map((c) => b64(c.body))).toEqual([b64(expected), b64(expected)]);
    expect(rig.backend.apiCalls.map((c) => c.request.headers.get('content-type'))).toEqual([type, type]);
  });

  it('preserves method, headers, credentials, redirect, referrer, referrer policy, keepalive, cache, mode and signal', async () => {
    const rig = await expiredRig();
    const abort = new AbortController();
    const request = apiRequest('/api/items/7', {
      method: 'PATCH',
      headers: { 'Content-Type': 'text/plain', 'X-Trace': 't-1' },
      body: 'patch',
      credentials: 'include',
      redirect: 'manual',
      referrer: 'https://app.example/page?x=1',
      referrerPolicy: 'strict-origin',
      keepalive: true,
      cache: 'no-store',
      mode: 'same-origin',
      signal: abort.signal,
    });
    await rig.forward(request);
    expect(rig.backend.apiCalls).toHaveLength(2);
    for (const { request: sent } of rig.backend.apiCalls) {
      expect({ ...sentProperties(sent), trace: sent.headers.get('x-trace') }).toEqual({
        method: 'PATCH',
        trace: 't-1',
        credentials: 'include',
        redirect: 'manual',
        referrer: 'https://app.example/page?x=1',
        referrerPolicy: 'strict-origin',
        keepalive: true,
        cache: 'no-store',
        mode: 'same-origin',
      });
    }
    abort.abort();
    expect(rig.backend.apiCalls.map((c) => c.request.signal.aborted)).toEqual([true, true]);
  });

  it('preserves the same properties on a request without a body (the GET copy path), and adds only Authorization', async () => {
    const rig = await expiredRig();
    const abort = new AbortController();
    const init: RequestInit = {
      headers: { 'X-Trace': 't-2' },
      credentials: 'omit',
      redirect: 'error',
      referrer: 'https://app.example/list?page=2',
      referrerPolicy: 'no-referrer-when-downgrade',
      keepalive: true,
      cache: 'reload',
      mode: 'cors',
      signal: abort.signal,
    };
    await rig.forward(apiRequest('/api/items', init));
    expect(rig.backend.apiCalls).toHaveLength(2);
    for (const { request: sent } of rig.backend.apiCalls) {
      expect({ ...sentProperties(sent), headers: [...sent.headers.keys()].sort() }).toEqual({
        method: 'GET',
        headers: ['authorization', 'x-trace'],
        credentials: 'omit',
        redirect: 'error',
        referrer: 'https://app.example/list?page=2',
        referrerPolicy: 'no-referrer-when-downgrade',
        keepalive: true,
        cache: 'reload',
        mode: 'cors',
      });
    }
    abort.abort();
    expect(rig.backend.apiCalls.map((c) => c.request.signal.aborted)).toEqual([true, true]);
  });

  it('returns a second 401 to the page unchanged, after exactly one refresh and one replay', async () => {
    const rig = await expiredRig();
    rig.backend.api = () =>
      new Response('still no', {
        status: 401,
        statusText: 'Unauthorized',
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    const res = await rig.forward(apiRequest('/api/data', { method: 'POST', body: 'x' }));
    expect([res.status, res.statusText, await res.text()]).toEqual([401, 'Unauthorized', 'still no']);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.headers.has(ERROR_HEADER)).toBe(false);
    expect(rig.backend.apiCalls).toHaveLength(2);
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.broker.status()).toMatchObject({ loggedIn: true, generation: 2 });
  });

  it('N concurrent 401s make one refresh and each request is replayed once', async () => {
    const rig = await expiredRig();
    const responses = await within(
      Promise.all(Array.from({ length: 12 }, (_, i) => rig.forward(apiRequest(`/api/n/${i}`)))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.backend.apiCalls).toHaveLength(24);
    expect(rig.bus.of('refreshed')).toHaveLength(1);
  });
});

describe('token generations', () => {
  it('a late 401 for an older generation is replayed with the current token, with no second refresh', async () => {
    const rig = new Rig();
    await rig.login();
    const old = rig.backend.accessToken;
    const g = gate();
    rig.backend.api = async (req) => {
      if (req.headers.get('authorization') === `Bearer ${old}`) {
        await g.promise; // answered only after the refresh below
        return new Response(null, { status: 401 });
      }
      return Response.json({ ok: true });
    };
    const pending = rig.forward(apiRequest('/api/slow'));
    await until(() => rig.backend.apiCalls.length === 1);
    await rig.broker.refresh('explicit');
    g.open();
    const res = await within(pending);
    expect(res.status).toBe(200);
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([
      `Bearer ${old}`,
      `Bearer ${rig.backend.accessToken}`,
    ]);
  });

  it('a caller that saw an older generation gets the current session, no refresh', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.broker.refresh('explicit');
    const s = await rig.broker.refresh('unauthorized', 1);
    expect(s.generation).toBe(2);
    expect(rig.backend.refreshCount).toBe(1);
  });
});

describe('when the 401 cannot be cured', () => {
  it('a transient refresh failure answers 503 with the error code and Retry-After, and keeps the session', async () => {
    const rig = await expiredRig();
    rig.backend.replies.push({ status: 429, headers: { 'Retry-After': '300' } });
    const res = await rig.forward(apiRequest());
    expect(res.status).toBe(503);
    expect(res.headers.get(ERROR_HEADER)).toBe('refresh-unavailable');
    expect(res.headers.get('retry-after')).toBe('300');
    expect(await res.json()).toMatchObject({ error: 'refresh-unavailable' });
    expect(rig.broker.status().loggedIn).toBe(true);
    expect(await rig.stored()).not.toBeNull();
    expect(rig.bus.of('logout')).toEqual([]);
  });

  it('a definitive rejection returns the server’s 401, marked, and logs out everywhere', async () => {
    const rig = await expiredRig();
    rig.backend.api = () => new Response('expired', { status: 401 });
    rig.backend.replies.push({ status: 400, body: { error: 'invalid_grant' } });
    const res = await rig.forward(apiRequest());
    expect([res.status, await res.text(), res.headers.get(ERROR_HEADER)]).toEqual([
      401,
      'expired',
      'refresh-rejected',
    ]);
    expect(rig.backend.apiCalls).toHaveLength(1);
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
  });
});

describe('waiting for a refresh before sending', () => {
  it('an expired token is refreshed before the request goes out (no 401 round trip)', async () => {
    const rig = new Rig();
    await rig.login(600);
    rig.clock.t += 601_000;
    const res = await rig.forward(apiRequest());
    expect(res.status).toBe(200);
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${rig.backend.accessToken}`]);
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('a token in its lead window goes out at once while the refresh runs in waitUntil', async () => {
    const rig = new Rig();
    await rig.login(600);
    const old = rig.backend.accessToken;
    rig.clock.t += 590_000;
    const g = gate();
    rig.backend.gate = g.promise;
    const res = await within(rig.forward(apiRequest()));
    expect(res.status).toBe(200);
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${old}`]);
    g.open();
    await Promise.all(rig.pending);
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.broker.status().generation).toBe(2);
  });

  it('a request arriving during a refresh waits for it and uses the new token', async () => {
    const rig = new Rig();
    await rig.login();
    const g = gate();
    rig.backend.gate = g.promise;
    const refresh = rig.broker.refresh('explicit');
    await until(() => rig.backend.refreshCount === 1);
    const res = rig.forward(apiRequest());
    await new Promise((r) => setImmediate(r));
    expect(rig.backend.apiCalls).toHaveLength(0);
    g.open();
    expect((await within(res)).status).toBe(200);
    await refresh;
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${rig.backend.accessToken}`]);
  });

  it('a 401 whose refresh outlives the request wait answers 503 but keeps the event open until the refresh is stored', async () => {
    const rig = await expiredRig({ config: { requestWaitSeconds: 0.05 } });
    const g = gate();
    rig.backend.gate = g.promise;
    const res = await within(rig.forward(apiRequest()), 2_000);
    expect([res.status, res.headers.get(ERROR_HEADER)]).toEqual([503, 'refresh-unavailable']);
    expect(await heldOpen(rig)).toBe(true);
    g.open();
    await Promise.all(rig.pending);
    expect(await rig.stored()).toMatchObject({ generation: 2, refreshToken: rig.backend.refreshToken });
  });

  it('waits at most requestWaitSeconds for a stuck refresh, then sends anyway', async () => {
    const rig = new Rig({ config: { requestWaitSeconds: 0.05 } });
    await rig.login();
    const old = rig.backend.accessToken;
    const g = gate();
    rig.backend.gate = g.promise;
    const refresh = rig.broker.refresh('explicit');
    await until(() => rig.backend.refreshCount === 1);
    const res = await within(rig.forward(apiRequest()), 2_000);
    expect(res.status).toBe(200);
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`Bearer ${old}`]);
    expect(await heldOpen(rig)).toBe(true); // this event, too, keeps the worker alive for the refresh
    g.open();
    await refresh;
  });
});
