import { describe, expect, it } from 'vitest';
import { resolveConfig, type TokenBrokerConfig } from '../../sw/settings.js';
import { buildRefreshRequest, isDefinitiveRejection } from '../../sw/token-endpoint.js';
import { ORIGIN, Rig } from './harness.js';

const resolved = (config: Partial<TokenBrokerConfig>) =>
  resolveConfig({ tokenEndpoint: '/api/auth/refresh', ...config }, ORIGIN);

describe('buildRefreshRequest', () => {
  it('json: POSTs {refresh_token} as JSON', async () => {
    const req = buildRefreshRequest('rt-a', resolved({}));
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`${ORIGIN}/api/auth/refresh`);
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(req.headers.has('authorization')).toBe(false);
    expect(await req.json()).toEqual({ refresh_token: 'rt-a' });
  });

  it('oauth2: RFC 6749 §6 form body with client_id and scope', async () => {
    const req = buildRefreshRequest(
      'rt+/=&a',
      resolved({ format: 'oauth2', clientId: 'web app', scope: 'openid offline_access' }),
    );
    expect(req.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(await req.text());
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt+/=&a',
      client_id: 'web app',
      scope: 'openid offline_access',
    });
  });

  it('oauth2 without client_id/scope sends neither', async () => {
    const form = new URLSearchParams(await buildRefreshRequest('rt', resolved({ format: 'oauth2' })).text());
    expect([...form.keys()]).toEqual(['grant_type', 'refresh_token']);
  });

  it('gotrue: ?grant_type=refresh_token, JSON body and apikey header', async () => {
    const req = buildRefreshRequest(
      'rt-g',
      resolved({ format: 'gotrue', tokenEndpoint: '/auth/v1/token', apiKey: 'anon-key' }),
    );
    const url = new URL(req.url);
    expect(url.pathname).toBe('/auth/v1/token');
    expect(url.searchParams.get('grant_type')).toBe('refresh_token');
    expect(req.headers.get('apikey')).toBe('anon-key');
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(await req.json()).toEqual({ refresh_token: 'rt-g' });
    // A configured grant_type is kept, not duplicated.
    const kept = new URL(
      buildRefreshRequest(
        'x',
        resolved({ format: 'gotrue', tokenEndpoint: '/auth/v1/token?grant_type=refresh_token' }),
      ).url,
    );
    expect(kept.searchParams.getAll('grant_type')).toEqual(['refresh_token']);
  });

  it('uses the buildRequest hook instead of the preset', async () => {
    const req = buildRefreshRequest(
      'rt-h',
      resolved({
        buildRequest: (token, c) =>
          new Request(new URL('/custom', c.tokenEndpoint), {
            method: 'PUT',
            headers: { 'X-Refresh': token },
          }),
      }),
    );
    expect([req.method, new URL(req.url).pathname, req.headers.get('x-refresh')]).toEqual([
      'PUT',
      '/custom',
      'rt-h',
    ]);
  });
});

describe('isDefinitiveRejection', () => {
  const json = resolved({});
  const gotrue = resolved({ format: 'gotrue' });

  it('is 400/401 with invalid_grant only', () => {
    expect(isDefinitiveRejection(400, { error: 'invalid_grant' }, json)).toBe(true);
    expect(isDefinitiveRejection(401, { error: 'invalid_grant' }, json)).toBe(true);
    expect(isDefinitiveRejection(403, { error: 'invalid_grant' }, json)).toBe(false);
    expect(isDefinitiveRejection(500, { error: 'invalid_grant' }, json)).toBe(false);
    expect(isDefinitiveRejection(400, { error: 'invalid_request' }, json)).toBe(false);
    expect(isDefinitiveRejection(401, undefined, json)).toBe(false);
    expect(isDefinitiveRejection(400, 'invalid_grant', json)).toBe(false);
  });

  it('knows GoTrue reuse codes for the gotrue format only', () => {
    expect(isDefinitiveRejection(400, { error_code: 'refresh_token_already_used' }, gotrue)).toBe(true);
    expect(isDefinitiveRejection(400, { error_code: 'refresh_token_not_found' }, gotrue)).toBe(true);
    expect(isDefinitiveRejection(400, { error_code: 'refresh_token_already_used' }, json)).toBe(false);
    expect(isDefinitiveRejection(400, { error_code: 'over_request_rate_limit' }, gotrue)).toBe(false);
  });

  it('defers to the app hook', () => {
    const c = resolved({ isDefinitiveRejection: (status) => status === 403 });
    expect(isDefinitiveRejection(403, {}, c)).toBe(true);
    expect(isDefinitiveRejection(400, { error: 'invalid_grant' }, c)).toBe(false);
  });
});

describe('refresh through each format (what the server saw)', () => {
  it('oauth2: the server gets the form grant and the broker stores the rotated pair', async () => {
    const rig = new Rig({ config: { format: 'oauth2', clientId: 'c1', scope: 's1' } });
    await rig.login();
    const sent = rig.backend.refreshToken;
    const session = await rig.broker.refresh('explicit');
    expect(rig.backend.refreshes.map((r) => r.refreshToken)).toEqual([sent]);
    expect(Object.fromEntries(new URLSearchParams(rig.backend.refreshes[0]!.body))).toMatchObject({
      client_id: 'c1',
      scope: 's1',
      grant_type: 'refresh_token',
    });
    expect(session).toMatchObject({
      accessToken: rig.backend.accessToken,
      refreshToken: rig.backend.refreshToken,
      trigger: 'explicit',
    });
    expect(await rig.stored()).toEqual(session);
  });

  it('gotrue: the server gets grant_type in the query and the apikey header', async () => {
    const rig = new Rig({ config: { format: 'gotrue', tokenEndpoint: '/auth/v1/token', apiKey: 'anon' } });
    await rig.login();
    await rig.broker.refresh('explicit');
    const req = rig.backend.refreshes[0]!.request;
    expect(new URL(req.url).search).toBe('?grant_type=refresh_token');
    expect(req.headers.get('apikey')).toBe('anon');
    expect(rig.backend.committed).toHaveLength(1);
  });

  it('gotrue: a reuse error code ends the session', async () => {
    const rig = new Rig({ config: { format: 'gotrue', tokenEndpoint: '/auth/v1/token' } });
    await rig.login();
    rig.backend.replies.push({
      status: 400,
      body: { code: 400, error_code: 'refresh_token_already_used', msg: 'Invalid Refresh Token' },
    });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-rejected' });
    expect(await rig.stored()).toBeNull();
    expect(rig.bus.of('logout')).toEqual([{ type: 'logout', reason: 'refresh-rejected' }]);
  });

  it('a server that does not rotate: the old refresh token is kept and sent next time', async () => {
    const rig = new Rig();
    rig.backend.rotate = false;
    await rig.login();
    const rt = rig.backend.refreshToken;
    const first = await rig.broker.refresh('explicit');
    expect(first.refreshToken).toBe(rt);
    expect(first.accessToken).toBe(rig.backend.accessToken);
    await rig.broker.refresh('explicit');
    expect(rig.backend.refreshes.map((r) => r.refreshToken)).toEqual([rt, rt]);
    expect((await rig.stored())?.refreshToken).toBe(rt);
  });

  it('custom buildRequest and parseResponse hooks are used, and their output still validated', async () => {
    const rig = new Rig({
      config: {
        buildRequest: (token, c) =>
          new Request(c.tokenEndpoint, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ refresh_token: token, extra: 1 }),
          }),
        parseResponse: async (response) => {
          const b = (await response.json()) as { access_token: string; refresh_token: string };
          return { accessToken: `X${b.access_token}`, refreshToken: b.refresh_token, expiresIn: '120' };
        },
      },
    });
    await rig.login();
    const session = await rig.broker.refresh('explicit');
    expect(JSON.parse(rig.backend.refreshes[0]!.body)).toMatchObject({ extra: 1 });
    expect(session.accessToken).toBe(`X${rig.backend.accessToken}`);
    expect(session.expiresAt).toBe(rig.clock.now() + 120_000);

    const bad = new Rig({
      config: { parseResponse: async () => ({ accessToken: 'a\r\nSet-Cookie: x=1', refreshToken: 'r\n' }) },
    });
    await bad.login();
    const before = await bad.stored();
    await expect(bad.broker.refresh('explicit')).rejects.toMatchObject({ code: 'invalid-token-response' });
    expect(await bad.stored()).toEqual(before);
    // A valid rotated refresh token next to a bad access token is kept; the bad token never is.
    const half = new Rig({
      config: { parseResponse: async () => ({ accessToken: 'a\r\nSet-Cookie: x=1', refreshToken: 'r2' }) },
    });
    await half.login();
    const kept = (await half.stored())!;
    await expect(half.broker.refresh('explicit')).resolves.toMatchObject({
      accessToken: kept.accessToken,
      refreshToken: 'r2',
    });
  });

  it('an app-defined rejection (isDefinitiveRejection hook) ends the session', async () => {
    const rig = new Rig({ config: { isDefinitiveRejection: (status) => status === 403 } });
    await rig.login();
    rig.backend.replies.push({ status: 403, body: { error: 'session_revoked' } });
    await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'refresh-rejected' });
    expect(await rig.stored()).toBeNull();
  });
});

describe('errors name the endpoint', () => {
  it('a status names the URL (no query); a network error to another origin hints at CORS', async () => {
    const rig = new Rig({ config: { maxRefreshAttempts: 1 } });
    await rig.login();
    rig.backend.replies.push({ status: 404 });
    await expect(rig.broker.refresh('explicit')).rejects.toThrow(
      'token endpoint https://app.example/api/auth/refresh answered 404',
    );
    const cors = new Rig({
      config: {
        tokenEndpoint: 'https://auth.example/oauth/token',
        allowedOrigins: ['https://auth.example'],
        maxRefreshAttempts: 1,
      },
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await cors.login();
    await expect(cors.broker.refresh('explicit')).rejects.toThrow(
      /network error during refresh at https:\/\/auth\.example\/oauth\/token \(another origin: .*CORS/,
    );
  });
});
