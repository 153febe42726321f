import { describe, expect, it } from 'vitest';
import type { Counters, RunningServer } from '../../demo/server/index.js';
import { claimsOf, getWith, login, refreshJson, rotate, start } from './helpers.js';

function post(server: RunningServer, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('counters', () => {
  it('counts every request by whether it carried Authorization, and logs it without header values', async () => {
    const server = await start();
    const tokens = await login(server);
    await getWith(server, '/api/me', tokens.access_token);
    await getWith(server, '/api/me', 'garbage');
    await getWith(server, '/favicon.ico', tokens.access_token);
    await getWith(server, '/api/public/ping');

    const counters = server.control.counters();
    expect(counters).toMatchObject({
      requestsWithAuth: 3,
      requestsWithoutAuth: 2,
      unauthorized: 1,
      logins: 1,
    });
    expect(counters.requests).toEqual([
      {
        method: 'POST',
        path: '/api/auth/login',
        authorization: false,
        generation: null,
        family: null,
        status: 200,
      },
      {
        method: 'GET',
        path: '/api/me',
        authorization: true,
        generation: 1,
        family: expect.any(String),
        status: 200,
      },
      { method: 'GET', path: '/api/me', authorization: true, generation: null, family: null, status: 401 },
      {
        method: 'GET',
        path: '/favicon.ico',
        authorization: true,
        generation: 1,
        family: expect.any(String),
        status: 404,
      },
      {
        method: 'GET',
        path: '/api/public/ping',
        authorization: false,
        generation: null,
        family: null,
        status: 200,
      },
    ]);
    const serialised = JSON.stringify(counters);
    expect(serialised).not.toContain(tokens.access_token);
    expect(serialised).not.toContain(tokens.refresh_token);
    expect(serialised).not.toContain('garbage');
  });

  it('records the path without the query and the generation of the token used', async () => {
    const server = await start();
    const first = await login(server);
    const second = await rotate(server, first.refresh_token);
    await getWith(server, '/api/slow?ms=0', second.access_token);
    await getWith(server, '/api/slow?ms=0', first.access_token);
    const slow = server.control.counters().requests.filter((r) => r.path === '/api/slow');
    expect(slow.map((r) => r.generation)).toEqual([2, 1]);
  });

  it('keeps per-family counts apart', async () => {
    const server = await start();
    const a = await login(server);
    const b = await login(server);
    const a2 = await rotate(server, a.refresh_token);
    await rotate(server, a2.refresh_token);
    await refreshJson(server, a.refresh_token);
    await rotate(server, b.refresh_token);
    const { families } = server.control.counters();
    expect(families[claimsOf(a.access_token).fam as string]).toEqual({
      generation: 3,
      refreshCalls: 3,
      rotations: 2,
      revoked: true,
      reason: 'reuse-detected',
    });
    expect(families[claimsOf(b.access_token).fam as string]).toEqual({
      generation: 2,
      refreshCalls: 1,
      rotations: 1,
      revoked: false,
    });
  });

  it('reset() zeroes counters and the log but keeps sessions', async () => {
    const server = await start();
    const tokens = await login(server);
    const next = await rotate(server, tokens.refresh_token);
    server.control.reset();
    const zeroed = server.control.counters();
    expect(zeroed).toMatchObject({
      logins: 0,
      refreshCalls: 0,
      rotations: 0,
      requestsWithoutAuth: 0,
      requests: [],
    });
    expect(Object.values(zeroed.families)).toEqual([
      { generation: 2, refreshCalls: 0, rotations: 0, revoked: false },
    ]);
    expect((await getWith(server, '/api/me', next.access_token)).status).toBe(200);
    expect((await refreshJson(server, next.refresh_token)).status).toBe(200);
    expect(server.control.counters()).toMatchObject({ requestsWithAuth: 1, refreshCalls: 1, rotations: 1 });
  });

  it('keeps only the last 5000 requests in the log', async () => {
    const server = await start();
    for (let batch = 0; batch < 51; batch++) {
      await Promise.all(Array.from({ length: 100 }, () => getWith(server, '/api/public/ping')));
    }
    await getWith(server, '/api/nope');
    const counters = server.control.counters();
    expect(counters.requestsWithoutAuth).toBe(5101);
    expect(counters.requests).toHaveLength(5000);
    expect(counters.requests.at(-1)).toMatchObject({ path: '/api/nope', status: 404 });
    // 5101 real HTTP requests: a count, not a speed; on a loaded 2-core machine they take over 20 s.
  }, 90_000);
});

describe('offline', () => {
  it('destroys every request without an answer or a count until switched back', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.setOffline(true);
    await expect(getWith(server, '/api/public/ping')).rejects.toThrow();
    await expect(refreshJson(server, tokens.refresh_token)).rejects.toThrow();
    expect(server.control.counters()).toMatchObject({ requestsWithoutAuth: 1, refreshCalls: 0 });
    server.control.setOffline(false);
    expect((await refreshJson(server, tokens.refresh_token)).status).toBe(200);
  });
});

describe('HTTP control surface', () => {
  it('exposes counters, faults, latency, config, revoke and reset', async () => {
    const server = await start({ testControl: true });
    const tokens = await login(server);
    expect((await post(server, '/__test/faults', [{ kind: 'status', status: 502 }])).status).toBe(200);
    expect((await refreshJson(server, tokens.refresh_token)).status).toBe(502);
    expect((await post(server, '/__test/latency', { beforeMs: 0, afterMs: 0 })).status).toBe(200);
    expect((await post(server, '/__test/config', { accessTtlSeconds: 3.5 })).status).toBe(200);
    const next = await rotate(server, tokens.refresh_token);
    expect(next.expires_in).toBe(3.5);

    const counters = (await (await fetch(`${server.url}/__test/counters`)).json()) as Counters;
    // Control calls are not traffic: only login and the two refreshes were counted.
    expect(counters).toMatchObject({ refreshCalls: 2, rotations: 1, requestsWithoutAuth: 3 });
    expect(counters.requests.map((r) => r.path)).not.toContain('/__test/counters');

    expect((await post(server, '/__test/revoke', { reason: 'admin' })).status).toBe(200);
    expect((await refreshJson(server, next.refresh_token)).status).toBe(401);
    expect(Object.values(server.control.counters().families)[0]).toMatchObject({
      revoked: true,
      reason: 'admin',
    });

    expect((await post(server, '/__test/reset')).status).toBe(200);
    expect(server.control.counters()).toMatchObject({ refreshCalls: 0, requests: [] });
  });

  it('can switch offline on and, while offline, off again', async () => {
    const server = await start({ testControl: true });
    expect((await post(server, '/__test/offline', { offline: true })).status).toBe(200);
    await expect(getWith(server, '/api/public/ping')).rejects.toThrow();
    expect((await post(server, '/__test/offline', { offline: false })).status).toBe(200);
    expect((await getWith(server, '/api/public/ping')).status).toBe(200);
  });

  it('answers 400 to malformed control bodies and changes nothing', async () => {
    const server = await start({ testControl: true });
    expect((await post(server, '/__test/faults', { kind: 'drop' })).status).toBe(400);
    expect((await post(server, '/__test/faults', [{ kind: 'explode' }])).status).toBe(400);
    expect((await post(server, '/__test/offline', { offline: 'yes' })).status).toBe(400);
    expect((await post(server, '/__test/config', { accessTtlSeconds: -1 })).status).toBe(400);
    const bad = await fetch(`${server.url}/__test/latency`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    const tokens = await login(server);
    expect((await refreshJson(server, tokens.refresh_token)).status).toBe(200);
  });

  it('is a plain 404 when testControl is off', async () => {
    const server = await start();
    expect((await fetch(`${server.url}/__test/counters`)).status).toBe(404);
    expect((await post(server, '/__test/offline', { offline: true })).status).toBe(404);
    expect((await getWith(server, '/api/public/ping')).status).toBe(200);
    expect(server.control.counters().requestsWithoutAuth).toBe(3);
  });
});
