import { describe, expect, it } from 'vitest';
import { claimsOf, getWith, login, refreshJson, rotate, sleep, start, type Tokens } from './helpers.js';

// The grace window (GoTrue's reuse interval) forgives a client that lost the answer to a
// rotation and retries with the parent token shortly after.
describe('reuse grace window', () => {
  it('answers the direct parent within the grace with the active session, without rotating', async () => {
    const server = await start({ reuseGraceSeconds: 5 });
    const first = await login(server);
    const second = await rotate(server, first.refresh_token);

    const res = await refreshJson(server, first.refresh_token);
    expect(res.status).toBe(200);
    const again = (await res.json()) as Tokens;
    expect(again.refresh_token).toBe(second.refresh_token);
    expect(again.access_token).not.toBe(second.access_token);
    expect(claimsOf(again.access_token).gen).toBe(2);
    expect((await getWith(server, '/api/me', again.access_token)).status).toBe(200);

    // The session goes on normally from the active token.
    const third = await rotate(server, second.refresh_token);
    expect(claimsOf(third.access_token).gen).toBe(3);
    expect(server.control.counters()).toMatchObject({ rotations: 2, graceReuses: 1, reuseDetections: 0 });
  });

  it('treats the parent as reuse once the grace has passed', async () => {
    const server = await start({ reuseGraceSeconds: 0.2 });
    const first = await login(server);
    const second = await rotate(server, first.refresh_token);
    await sleep(350);
    const res = await refreshJson(server, first.refresh_token);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error_description: 'refresh token reuse detected' });
    expect((await refreshJson(server, second.refresh_token)).status).toBe(401);
    expect(server.control.counters()).toMatchObject({ graceReuses: 0, reuseDetections: 1 });
  });

  it('does not forgive a grandparent, even within the grace', async () => {
    const server = await start({ reuseGraceSeconds: 5 });
    const first = await login(server);
    const second = await rotate(server, first.refresh_token);
    await rotate(server, second.refresh_token);
    expect((await refreshJson(server, first.refresh_token)).status).toBe(401);
    expect(server.control.counters()).toMatchObject({ graceReuses: 0, reuseDetections: 1 });
  });

  it('is off by default: an immediate retry with the parent is reuse', async () => {
    const server = await start();
    const first = await login(server);
    await rotate(server, first.refresh_token);
    expect((await refreshJson(server, first.refresh_token)).status).toBe(401);
    expect(server.control.counters().reuseDetections).toBe(1);
  });

  it('can be switched on at runtime with configure()', async () => {
    const server = await start();
    server.control.configure({ reuseGraceSeconds: 5 });
    const first = await login(server);
    await rotate(server, first.refresh_token);
    expect((await refreshJson(server, first.refresh_token)).status).toBe(200);
    expect(server.control.counters().graceReuses).toBe(1);
  });

  it('never forgives a revoked family', async () => {
    const server = await start({ reuseGraceSeconds: 5 });
    const first = await login(server);
    await rotate(server, first.refresh_token);
    server.control.revokeAll();
    expect((await refreshJson(server, first.refresh_token)).status).toBe(401);
    expect(server.control.counters().graceReuses).toBe(0);
  });
});

describe('runtime configuration', () => {
  it('configure({ accessTtlSeconds }) applies to tokens minted afterwards', async () => {
    const server = await start({ accessTtlSeconds: 60 });
    server.control.configure({ accessTtlSeconds: 0.5 });
    const tokens = await login(server);
    expect(tokens.expires_in).toBe(0.5);
    expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(200);
    await sleep(700);
    expect((await getWith(server, '/api/me', tokens.access_token)).status).toBe(401);
  });

  it('rejects nonsense and changes nothing', async () => {
    const server = await start({ accessTtlSeconds: 7 });
    expect(() => server.control.configure({ accessTtlSeconds: 0, reuseGraceSeconds: 1 })).toThrow(TypeError);
    expect(() => server.control.configure({ reuseGraceSeconds: -1 })).toThrow(TypeError);
    expect((await login(server)).expires_in).toBe(7);
  });
});
