import { describe, expect, it } from 'vitest';
import type { MalformedVariant, RunningServer } from '../../demo/server/index.js';
import { claimsOf, getWith, login, refreshJson, rotate, sleep, start } from './helpers.js';

/** A faulted call must leave the presented token usable: it rotates normally afterwards. */
async function expectStillValid(server: RunningServer, refreshToken: string): Promise<void> {
  const next = await rotate(server, refreshToken);
  expect(claimsOf(next.access_token).gen).toBe(2);
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  expect(check()).toBe(true);
}

describe('status faults', () => {
  it('answers the injected status with Retry-After, then the token still rotates', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.injectRefreshFaults([{ kind: 'status', status: 503, retryAfterSeconds: 7 }]);
    const res = await refreshJson(server, tokens.refresh_token);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    await expectStillValid(server, tokens.refresh_token);
    const counters = server.control.counters();
    expect(counters).toMatchObject({ refreshCalls: 2, rotations: 1 });
    expect(counters.families[claimsOf(tokens.access_token).fam as string]).toMatchObject({
      refreshCalls: 2,
      rotations: 1,
    });
  });

  it('words a 401 fault as invalid_grant (and counts it) without revoking anything', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.injectRefreshFaults([{ kind: 'status', status: 401 }]);
    const res = await refreshJson(server, tokens.refresh_token);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
    expect(server.control.counters()).toMatchObject({ invalidGrants: 1, revocations: 0 });
    await expectStillValid(server, tokens.refresh_token);
  });

  it('uses queued faults one per call, in order', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.injectRefreshFaults([{ kind: 'status', status: 500 }]);
    server.control.injectRefreshFaults([{ kind: 'status', status: 429 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await refreshJson(server, tokens.refresh_token)).status);
    expect(statuses).toEqual([500, 429, 200]);
  });

  it('rejects a fault that is not well-formed', async () => {
    const server = await start();
    expect(() => server.control.injectRefreshFaults([{ kind: 'status', status: 99 }])).toThrow(TypeError);
    expect(() => server.control.injectRefreshFaults([{ kind: 'nope' } as never])).toThrow(TypeError);
    const tokens = await login(server);
    expect((await refreshJson(server, tokens.refresh_token)).status).toBe(200);
  });
});

describe('connection faults', () => {
  it('drop: destroys the socket without an answer; the token survives', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.injectRefreshFaults([{ kind: 'drop' }]);
    await expect(refreshJson(server, tokens.refresh_token)).rejects.toThrow();
    const log = server.control.counters().requests.filter((r) => r.path === '/api/auth/refresh');
    expect(log).toEqual([
      {
        method: 'POST',
        path: '/api/auth/refresh',
        authorization: false,
        generation: null,
        family: null,
        status: 0,
      },
    ]);
    await expectStillValid(server, tokens.refresh_token);
  });

  it('hang: never answers; the token survives', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.injectRefreshFaults([{ kind: 'hang' }]);
    const hung = refreshJson(server, tokens.refresh_token, { signal: AbortSignal.timeout(300) });
    await expect(hung).rejects.toThrow(/abort|timeout/i);
    expect(server.control.counters()).toMatchObject({ refreshCalls: 1, rotations: 0 });
    await expectStillValid(server, tokens.refresh_token);
  });
});

describe('malformed answers', () => {
  const checks: Record<MalformedVariant, (text: string) => void> = {
    'not-json': (text) => expect(() => JSON.parse(text)).toThrow(),
    'missing-token': (text) => expect(JSON.parse(text)).not.toHaveProperty('access_token'),
    'empty-token': (text) => expect(JSON.parse(text).access_token).toBe(''),
    'non-string-token': (text) => expect(JSON.parse(text).access_token).toBe(123),
    'header-unsafe': (text) => expect(JSON.parse(text).access_token).toContain('\r\n'),
    'negative-expires': (text) => expect(JSON.parse(text).expires_in).toBeLessThan(0),
    'absurd-expires': (text) => expect(JSON.parse(text).expires_in).toBeGreaterThan(1e9),
    huge: (text) => {
      expect(text.length).toBeGreaterThan(2_000_000);
      expect(typeof JSON.parse(text).access_token).toBe('string');
    },
  };

  for (const [variant, check] of Object.entries(checks) as [MalformedVariant, (text: string) => void][]) {
    it(`${variant}: 200 with a broken body; its tokens are worthless, the real one survives`, async () => {
      const server = await start();
      const tokens = await login(server);
      server.control.injectRefreshFaults([{ kind: 'malformed', variant }]);
      const res = await refreshJson(server, tokens.refresh_token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      const text = await res.text();
      check(text);
      if (variant !== 'not-json') {
        const body = JSON.parse(text) as { access_token?: unknown; refresh_token?: unknown };
        if (
          typeof body.access_token === 'string' &&
          body.access_token !== '' &&
          !body.access_token.includes('\n')
        ) {
          expect((await getWith(server, '/api/me', body.access_token)).status).toBe(401);
        }
        expect((await refreshJson(server, String(body.refresh_token))).status).toBe(401);
      }
      await expectStillValid(server, tokens.refresh_token);
    });
  }
});

describe('refresh latency', () => {
  it('beforeMs delays the call before any rotation happens', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.setRefreshLatency({ beforeMs: 300 });
    const began = Date.now();
    const pending = refreshJson(server, tokens.refresh_token);
    await waitFor(() => server.control.counters().refreshCalls === 1);
    expect(server.control.counters().rotations).toBe(0);
    expect((await pending).status).toBe(200);
    expect(Date.now() - began).toBeGreaterThanOrEqual(280);
    expect(server.control.counters().rotations).toBe(1);
  });

  it('afterMs: a client that gives up while waiting has lost a rotation the server already did', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.setRefreshLatency({ afterMs: 2000 });
    const abort = new AbortController();
    const pending = refreshJson(server, tokens.refresh_token, { signal: abort.signal });
    await waitFor(() => server.control.counters().rotations === 1);
    abort.abort();
    await expect(pending).rejects.toThrow();
    server.control.setRefreshLatency({});
    const retry = await refreshJson(server, tokens.refresh_token);
    expect(retry.status).toBe(401);
    expect(await retry.json()).toMatchObject({ error_description: 'refresh token reuse detected' });
  });

  it('rejects a delay that is not a number', async () => {
    const server = await start();
    expect(() => server.control.setRefreshLatency({ beforeMs: Number.NaN })).toThrow(TypeError);
  });
});

describe('close()', () => {
  it('resolves fast while a refresh hangs, another sleeps and a slow request waits', async () => {
    const server = await start();
    const a = await login(server);
    const b = await login(server);
    server.control.injectRefreshFaults([{ kind: 'hang' }]);
    const hung = refreshJson(server, a.refresh_token);
    await waitFor(() => server.control.counters().refreshCalls === 1);
    server.control.setRefreshLatency({ beforeMs: 60_000 });
    const sleeping = refreshJson(server, b.refresh_token);
    const slow = getWith(server, '/api/slow?ms=30000', a.access_token);
    await waitFor(
      () => server.control.counters().refreshCalls === 2 && server.control.counters().requests.length === 5,
    );

    const began = Date.now();
    await server.close();
    expect(Date.now() - began).toBeLessThan(1000);
    const outcomes = await Promise.allSettled([hung, sleeping, slow]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(fetch(`${server.url}/api/public/ping`)).rejects.toThrow();
  });

  it('cancels delayed work: a refresh waiting in beforeMs never rotates after close()', async () => {
    const server = await start();
    const tokens = await login(server);
    server.control.setRefreshLatency({ beforeMs: 500 });
    const pending = refreshJson(server, tokens.refresh_token);
    await waitFor(() => server.control.counters().refreshCalls === 1);
    await server.close();
    await expect(pending).rejects.toThrow();
    await sleep(700);
    expect(Object.values(server.control.counters().families)[0]).toMatchObject({
      generation: 1,
      rotations: 0,
    });
  });
});
