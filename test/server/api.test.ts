import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getWith, login, rotate, sleep, start } from './helpers.js';

describe('protected routes', () => {
  it('GET /api/me: 200 with a valid token, 401 invalid_token without one', async () => {
    const server = await start();
    const tokens = await login(server);
    const ok = await getWith(server, '/api/me', tokens.access_token);
    expect(ok.status).toBe(200);
    const me = (await ok.json()) as { user: string; family: string; generation: number };
    expect(me).toMatchObject({ user: 'demo', generation: 1 });
    expect(me.family).toMatch(/^fam_/);

    const none = await getWith(server, '/api/me');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await none.json()).toEqual({ error: 'invalid_token' });
    expect(server.control.counters().unauthorized).toBe(1);
  });

  it('rejects tampered, foreign and garbage tokens', async () => {
    const server = await start();
    const other = await start();
    const tokens = await login(server);
    const [header, payload, signature] = tokens.access_token.split('.') as [string, string, string];
    const forged = Buffer.from(payload, 'base64url').toString().replace('"gen":1', '"gen":9');
    const candidates = [
      `${header}.${Buffer.from(forged).toString('base64url')}.${signature}`,
      (await login(other)).access_token,
      'garbage',
    ];
    for (const token of candidates) expect((await getWith(server, '/api/me', token)).status).toBe(401);
    const basic = await fetch(`${server.url}/api/me`, {
      headers: { Authorization: `Basic ${tokens.access_token}` },
    });
    expect(basic.status).toBe(401);
    expect(server.control.counters().unauthorized).toBe(4);
  });

  it('rejects an expired token (fractional TTL)', async () => {
    const server = await start({ accessTtlSeconds: 0.5 });
    const tokens = await login(server);
    expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(200);
    await sleep(700);
    expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(401);
  });

  it('keeps an older generation valid until it expires, and reports its generation', async () => {
    const server = await start();
    const first = await login(server);
    await rotate(server, first.refresh_token);
    const res = await getWith(server, '/api/me', first.access_token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { generation: number }).generation).toBe(1);
  });
});

describe('POST|PUT /api/echo', () => {
  it('hashes the raw bytes of a binary body', async () => {
    const server = await start();
    const tokens = await login(server);
    const body = randomBytes(100_000);
    body[0] = 0xff;
    body[1] = 0x00;
    for (const method of ['POST', 'PUT']) {
      const res = await fetch(`${server.url}/api/echo`, {
        method,
        headers: {
          Authorization: `Bearer ${tokens.access_token}`,
          'Content-Type': 'application/octet-stream',
        },
        body,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        method,
        bytes: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        contentType: 'application/octet-stream',
      });
    }
  });

  it('answers 401 without a token and 413 above 8 MB', async () => {
    const server = await start();
    const tokens = await login(server);
    const anonymous = await fetch(`${server.url}/api/echo`, { method: 'POST', body: 'hello' });
    expect(anonymous.status).toBe(401);
    const big = await fetch(`${server.url}/api/echo`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.access_token}` },
      body: new Uint8Array(8 * 1024 * 1024 + 1),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: 'payload_too_large' });
  });

  it('accepts exactly 8 MB', async () => {
    const server = await start();
    const tokens = await login(server);
    const res = await fetch(`${server.url}/api/echo`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${tokens.access_token}` },
      body: new Uint8Array(8 * 1024 * 1024),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { bytes: number }).bytes).toBe(8 * 1024 * 1024);
  });
});

describe('GET /api/slow', () => {
  it('waits ?ms= and answers with the generation', async () => {
    const server = await start();
    const tokens = await login(server);
    const began = Date.now();
    const res = await getWith(server, '/api/slow?ms=200', tokens.access_token);
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    expect(await res.json()).toEqual({ ok: true, generation: 1 });
  });

  it('validates on arrival by default: a token expiring during the wait still succeeds', async () => {
    const server = await start({ accessTtlSeconds: 0.5 });
    const tokens = await login(server);
    expect((await getWith(server, '/api/slow?ms=800', tokens.access_token)).status).toBe(200);
  });

  it('validates after the wait with ?validate=end', async () => {
    const server = await start({ accessTtlSeconds: 0.5 });
    const tokens = await login(server);
    expect((await getWith(server, '/api/slow?ms=800&validate=end', tokens.access_token)).status).toBe(401);
    expect(server.control.counters().unauthorized).toBe(1);
  });

  it('rejects a missing token on arrival without waiting', async () => {
    const server = await start();
    const began = Date.now();
    expect((await getWith(server, '/api/slow?ms=5000')).status).toBe(401);
    expect(Date.now() - began).toBeLessThan(2000);
  });
});

describe('routing', () => {
  it('serves GET /api/public/ping without a token', async () => {
    const server = await start();
    const res = await getWith(server, '/api/public/ping');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers JSON 404 and 405 under /api', async () => {
    const server = await start();
    const missing = await getWith(server, '/api/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
    const wrong = await fetch(`${server.url}/api/auth/refresh`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toEqual({ error: 'method_not_allowed' });
  });
});

describe('test route /api/upload', () => {
  it('logs each body it read (bytes, hash, Content-Length) on the request, and ?reject=<id> answers 401 once', async () => {
    const server = await start({ testControl: true });
    const tokens = await login(server);
    const body = randomBytes(300_000);
    const post = () =>
      fetch(`${server.url}/api/upload?reject=a`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${tokens.access_token}` },
        body,
      });
    expect((await post()).status).toBe(401);
    const ok = await post();
    const sha256 = createHash('sha256').update(body).digest('hex');
    const expected = { bytes: 300_000, sha256, contentLength: 300_000 };
    expect(await ok.json()).toEqual(expected);
    const uploads = server.control.counters().requests.filter((r) => r.path === '/api/upload');
    expect(uploads.map((r) => [r.status, r.body])).toEqual([
      [401, expected],
      [200, expected],
    ]);
  });
});
