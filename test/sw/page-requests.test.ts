import { describe, expect, it } from 'vitest';
import type { WireRequestHead } from '../../shared/wire.js';
import { captureLoginForPage, routeForPage } from '../../sw/page-requests.js';
import { ORIGIN, Rig } from './harness.js';

const head = (method: string, path: string, headers: Array<[string, string]> = []): WireRequestHead => ({
  method,
  url: `${ORIGIN}${path}`,
  headers,
});

describe('routeForPage: the worker’s rule for requests it does not see', () => {
  it('gives in-scope requests the current token, and leaves the rest and the broker’s own endpoints alone', async () => {
    const rig = new Rig();
    await rig.login();
    const token = await rig.broker.getAccessToken();
    expect(await routeForPage(rig.broker, head('GET', '/api/me'))).toEqual({ route: 'token', token });
    for (const path of ['/public/x', '/api/auth/refresh', '/api/auth/revoke', '/apix/me']) {
      expect(await routeForPage(rig.broker, head('POST', path)), path).toEqual({
        route: 'pass',
        reason: 'out-of-scope',
      });
    }
    expect(
      await routeForPage(rig.broker, {
        ...head('GET', '/api/me'),
        url: 'https://app.example.evil.test/api/me',
      }),
    ).toEqual({ route: 'pass', reason: 'out-of-scope' });
  });

  it('respects an existing Authorization only when configured to', async () => {
    const respecting = new Rig();
    await respecting.login();
    expect(
      await routeForPage(respecting.broker, head('GET', '/api/me', [['Authorization', 'Bearer anon']])),
    ).toEqual({ route: 'pass', reason: 'own-authorization' });
    const replacing = new Rig({ config: { respectExistingAuthorization: false } });
    await replacing.login();
    expect(
      await routeForPage(replacing.broker, head('GET', '/api/me', [['Authorization', 'Bearer anon']])),
    ).toMatchObject({ route: 'token', token: { generation: 1 } });
  });

  it('gives no token to an uncontrolled page when revealAccessToken is false (its request goes without one)', async () => {
    const rig = new Rig({ config: { revealAccessToken: false } });
    await rig.login();
    expect(await routeForPage(rig.broker, head('GET', '/api/me'))).toEqual({ route: 'token', token: null });
  });

  it('routes a POST to the login endpoint to capture, and gives a null token without a session', async () => {
    const rig = new Rig();
    expect(await routeForPage(rig.broker, head('POST', '/api/auth/login'))).toEqual({ route: 'login' });
    expect(await routeForPage(rig.broker, head('GET', '/api/me'))).toEqual({ route: 'token', token: null });
  });
});

describe('captureLoginForPage', () => {
  it('sends the login, stores the tokens and answers without the refresh token', async () => {
    const rig = new Rig();
    const body = new TextEncoder().encode('{"username":"demo","password":"demo"}').buffer;
    const reply = await captureLoginForPage(
      rig.broker,
      { ...head('POST', '/api/auth/login', [['content-type', 'application/json']]), body },
      rig.backend.fetch,
    );
    expect(reply.status).toBe(200);
    const json = JSON.parse(new TextDecoder().decode(reply.body!)) as Record<string, unknown>;
    expect(json).toHaveProperty('access_token');
    expect(json).not.toHaveProperty('refresh_token');
    expect(rig.broker.status()).toMatchObject({ loggedIn: true, generation: 1 });
  });

  it('refuses anything but the configured login endpoint (the worker is no proxy for pages)', async () => {
    const rig = new Rig();
    let sent = 0;
    const fetchFn = (async () => (sent++, new Response('{}'))) as typeof fetch;
    for (const request of [
      head('POST', '/api/me'),
      head('GET', '/api/auth/login'),
      { ...head('POST', '/api/auth/login'), url: 'https://evil.test/api/auth/login' },
    ]) {
      await expect(
        captureLoginForPage(rig.broker, { ...request, body: null }, fetchFn),
      ).rejects.toMatchObject({ code: 'internal' });
    }
    expect(sent).toBe(0);
  });
});
