import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { isTokenBrokerError } from '../../shared/errors.js';
import { ERROR_HEADER } from '../../shared/protocol.js';
import { forwardWithToken } from '../../sw/forward.js';
import { resolveConfig } from '../../sw/settings.js';
import { DpopServer } from './dpop-server.js';
import { apiRequest, CONFIG, ORIGIN, Rig, type RigOptions } from './harness.js';

/** A worker with `dpop` on, in front of a server that requires DPoP with nonces. */
function dpopRig(options: RigOptions = {}): { rig: Rig; server: DpopServer } {
  let server!: DpopServer;
  const rig = new Rig({
    ...options,
    config: { dpop: true, ...options.config },
    fetch: (input, init) => server.fetch(input, init),
  });
  server = new DpopServer(rig.backend);
  rig.backend.api = () => Response.json({ ok: true });
  return { rig, server };
}

/** A request through the worker's fetch handler, to the DPoP server. */
const send = (rig: Rig, server: DpopServer, request = apiRequest('/api/data?page=2#x')): Promise<Response> =>
  forwardWithToken(rig.broker, request, (p) => void rig.pending.push(p), server.fetch);

/** The login through the worker's capture: its request carries the proof that binds the tokens. */
const captureLogin = (rig: Rig, server: DpopServer): Promise<Response> =>
  send(rig, server, apiRequest('/api/auth/login', { method: 'POST', body: '{"user":"u"}' }));

describe('DPoP in the worker', () => {
  it('is opt-in and validated like every option', () => {
    expect(resolveConfig(CONFIG, ORIGIN).dpop).toBe(false);
    expect(resolveConfig({ ...CONFIG, dpop: true }, ORIGIN).dpop).toBe(true);
    expect(() => resolveConfig({ ...CONFIG, dpop: 'yes' as unknown as boolean }, ORIGIN)).toThrow(
      /dpop must be true or false/,
    );
  });

  it('captures the login with a proof and stores its non-extractable key with the session', async () => {
    const { rig, server } = dpopRig();
    const answer = await captureLogin(rig, server);
    expect(answer.status).toBe(200);
    // The first proof carried no nonce: the server asked for one, the login went again once.
    expect(server.proofs.map((p) => [p.path, p.refused])).toEqual([
      ['/api/auth/login', 'nonce'],
      ['/api/auth/login', undefined],
    ]);
    const stored = await rig.stored();
    expect(stored?.dpopKey?.privateKey.extractable).toBe(false);
    expect(stored?.dpopKey?.privateKey.type).toBe('private');
    expect(await calculateJwkThumbprint(stored!.dpopKey!.publicJwk)).toBe(server.boundJkt);
  });

  it('sends every in-scope request with Authorization: DPoP and a proof bound to the token (htm, htu, ath)', async () => {
    const { rig, server } = dpopRig();
    await captureLogin(rig, server);
    const response = await send(rig, server);
    expect(response.status).toBe(200);
    const api = server.proofs.filter((p) => p.path === '/api/data');
    // One nonce demand from the resource server (another origin's nonce would be the same rule).
    expect(api.map((p) => p.refused)).toEqual(['nonce', undefined]);
    expect(api[1]!.claims).toMatchObject({
      htm: 'GET',
      htu: `${ORIGIN}/api/data`,
      nonce: server.apiNonce,
      ath: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(rig.backend.apiCalls.map((c) => c.auth)).toEqual([`DPoP ${rig.backend.accessToken}`]);
    expect(rig.backend.apiCalls[0]!.request.headers.get('dpop')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(rig.backend.refreshCount).toBe(0);
  });

  it('answers a nonce change at the token endpoint once, inside the one refresh: one refresh token sent to be consumed', async () => {
    const { rig, server } = dpopRig();
    await captureLogin(rig, server);
    const { refreshToken } = rig.backend;
    server.nonce = 'as-nonce-2'; // the server rotated its nonce mid-session
    const acquisitions = rig.mutex.acquisitions;
    await Promise.all([rig.broker.refresh('explicit'), rig.broker.refresh('explicit')]);
    // Two requests reached the token endpoint: the proof with the old nonce was refused before
    // the grant was looked at, the second consumed the refresh token. One lock acquisition.
    const refreshes = server.proofs.filter((p) => p.path === '/api/auth/refresh');
    expect(refreshes.map((p) => [p.refused, p.claims?.nonce])).toEqual([
      ['nonce', 'as-nonce-1'],
      [undefined, 'as-nonce-2'],
    ]);
    expect(rig.backend.refreshes.map((r) => r.refreshToken)).toEqual([refreshToken]);
    expect(rig.backend.committed).toEqual([refreshToken]);
    expect(rig.backend.reuses).toEqual([]);
    expect(rig.mutex.acquisitions - acquisitions).toBe(1);
    expect(refreshes[1]!.claims).not.toHaveProperty('ath');
    expect(refreshes[1]!.jkt).toBe(server.boundJkt);
    expect((await rig.stored())?.refreshToken).toBe(rig.backend.refreshToken);
  });

  it('retries a resource nonce demand once and does not refresh for it', async () => {
    const { rig, server } = dpopRig();
    await captureLogin(rig, server);
    expect((await send(rig, server)).status).toBe(200);
    server.apiNonce = 'rs-nonce-2';
    expect((await send(rig, server)).status).toBe(200);
    expect(server.refused().filter((p) => p.path === '/api/data')).toHaveLength(2);
    expect(rig.backend.refreshCount).toBe(0);
    expect(rig.backend.apiCalls).toHaveLength(2);
  });

  it('a resource nonce demand on an upload resends the same bytes from the replay copy; a later 401 is not replayed a third time', async () => {
    const { rig, server } = dpopRig();
    await captureLogin(rig, server);
    server.apiNonce = 'rs-nonce-2';
    const upload = () => apiRequest('/api/data', { method: 'POST', body: 'payload-bytes' });
    expect((await send(rig, server, upload())).status).toBe(200);
    expect(rig.backend.apiCalls.map((c) => new TextDecoder().decode(c.body as Uint8Array))).toEqual([
      'payload-bytes',
    ]);
    expect(server.refused().filter((p) => p.path === '/api/data')).toHaveLength(1);
    // The nonce resend took the copy: when the resent request meets a 401 too, the token is
    // refreshed but the body is not sent a third time.
    server.apiNonce = 'rs-nonce-3';
    rig.backend.api = () => new Response(null, { status: 401 });
    const answer = await send(rig, server, upload());
    expect(answer.status).toBe(401);
    expect(answer.headers.get(ERROR_HEADER)).toBe('body-not-replayed');
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.backend.apiCalls).toHaveLength(2);
  });

  it('a new key at each login, also for setSession from a page', async () => {
    const { rig, server } = dpopRig();
    await captureLogin(rig, server);
    const first = (await rig.stored())!.dpopKey!;
    await rig.login();
    const second = (await rig.stored())!.dpopKey!;
    expect(second.privateKey.extractable).toBe(false);
    expect(second.publicJwk).not.toEqual(first.publicJwk);
  });

  it('the key goes with the session at logout and at a definitive rejection', async () => {
    const { rig, server } = dpopRig();
    await captureLogin(rig, server);
    await rig.broker.logout();
    expect(await rig.stored()).toBeNull();
    await captureLogin(rig, server);
    expect((await rig.stored())?.dpopKey).toBeDefined();
    rig.backend.replies.push('revoked');
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-rejected' });
    expect(await rig.stored()).toBeNull();
  });

  it('a session without its key (an older version, storage partly lost) ends with dpop-key-lost, never sent as Bearer', async () => {
    const { rig, server } = dpopRig();
    await rig.store.write({
      accessToken: 'at-old',
      refreshToken: 'rt-old',
      expiresAt: null,
      receivedAt: rig.clock.now(),
      generation: 1,
      trigger: 'login',
      lineage: 'no-key',
    });
    const response = await send(rig, server);
    expect(response.status).toBe(401);
    expect(response.headers.get(ERROR_HEADER)).toBe('dpop-key-lost');
    expect(server.proofs).toEqual([]);
    expect(rig.backend.apiCalls).toEqual([]);
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'dpop-key-lost' }]);
  });

  it('a refresh of a session without its key sends nothing and ends it', async () => {
    const { rig } = dpopRig();
    await rig.login();
    // Stored by a worker without the key (e.g. an older version): the refresh must not send it.
    const { dpopKey: _key, ...keyless } = (await rig.stored())!;
    await rig.store.write(keyless);
    const other = rig.newBroker();
    await expect(other.refresh('explicit')).rejects.toMatchObject({ code: 'dpop-key-lost' });
    expect(rig.backend.refreshCount).toBe(0);
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'dpop-key-lost' }]);
  });

  it('a 401 whose refresh finds the stored session without its key passes the 401 on, marked dpop-key-lost', async () => {
    const { rig, server } = dpopRig();
    await captureLogin(rig, server);
    // Another worker version rewrote the record without the key; this worker still holds it in memory.
    const { dpopKey: _key, ...keyless } = (await rig.stored())!;
    await rig.store.write(keyless);
    rig.backend.accessToken = 'rotated-elsewhere'; // the API now refuses the token sent
    const response = await send(rig, server);
    expect(response.status).toBe(401);
    expect(response.headers.get(ERROR_HEADER)).toBe('dpop-key-lost');
    expect(rig.backend.refreshCount).toBe(0);
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'dpop-key-lost' }]);
  });

  it('getAccessToken says the token is DPoP-bound', async () => {
    const { rig } = dpopRig();
    await rig.login();
    const error = await rig.broker.getAccessToken().catch((e: unknown) => e);
    expect(isTokenBrokerError(error, 'dpop-bound')).toBe(true);
  });

  it('without dpop nothing changes: Bearer, no proof, no key', async () => {
    const rig = new Rig();
    await rig.login();
    await rig.forward(apiRequest('/api/data'));
    expect(rig.backend.apiCalls[0]!.auth).toBe(`Bearer ${rig.backend.accessToken}`);
    expect(rig.backend.apiCalls[0]!.request.headers.has('dpop')).toBe(false);
    expect((await rig.stored())?.dpopKey).toBeUndefined();
  });
});
