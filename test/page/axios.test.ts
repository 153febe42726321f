import axios, { AxiosError, type AxiosAdapter, type AxiosInstance } from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachAxios } from '../../src/axios.js';
import { axiosAnswer } from './axios-answer.js';
import { APP, fakeSource } from './fake-source.js';

/** Plays the API server: `/api/*` wants `Bearer <valid>`, anything else is public. Records what it saw. */
function apiServer(valid: string | null = 'at-1') {
  const seen: Array<{ url: string; authorization: string | undefined }> = [];
  const server = { seen, valid };
  const adapter: AxiosAdapter = async (config) => {
    const url = new URL(axios.getUri(config), location.href).href;
    const authorization = config.headers.get('Authorization') as string | undefined;
    seen.push({ url, authorization });
    const protectedPath = new URL(url).pathname.startsWith('/api/');
    const status =
      protectedPath && (server.valid === null || authorization !== `Bearer ${server.valid}`) ? 401 : 200;
    return axiosAnswer(config, status, { url });
  };
  return { server, adapter };
}

function setup(options: Parameters<typeof fakeSource>[0] & { valid?: string | null; baseURL?: string } = {}) {
  const { server, adapter } = apiServer(options.valid === undefined ? 'at-1' : options.valid);
  const { source, state } = fakeSource(options);
  const instance: AxiosInstance = axios.create({
    adapter,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
  });
  const detach = attachAxios(instance, source);
  return { server, source, state, instance, detach };
}

async function status401(promise: Promise<unknown>): Promise<AxiosError> {
  const error = await promise.then(
    () => expect.fail('expected a 401'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AxiosError);
  expect((error as AxiosError).response?.status).toBe(401);
  return error as AxiosError;
}

beforeEach(() => {
  vi.stubGlobal('location', new URL(`${APP}/app/page`));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('attachAxios on a controlled page', () => {
  it('changes nothing: no Authorization, no token lookup, and a 401 is not recovered', async () => {
    const { server, source, instance } = setup({ controlled: true });
    const error = await status401(instance.get('/api/users'));
    expect(server.seen).toEqual([{ url: `${APP}/api/users`, authorization: undefined }]);
    expect(error.config?.headers.get('Authorization')).toBeUndefined();
    expect(source.tokenInfo).not.toHaveBeenCalled();
    expect(source.recover).not.toHaveBeenCalled();
  });
});

describe('attachAxios at a worker hand-over (docs/platform-facts.md §19)', () => {
  /** The server answers the first request 401 (sent around both workers) while `change` happens. */
  function handOver({ change = true, marked = false } = {}) {
    const container = { controller: { id: 'old' } as object | null };
    vi.stubGlobal('navigator', { serviceWorker: container });
    const methods: string[] = [];
    const adapter: AxiosAdapter = async (config) => {
      methods.push(String(config.method));
      const status = methods.length > 1 ? 200 : 401;
      if (status === 401 && change) container.controller = { id: 'new' };
      const headers: Record<string, string> =
        marked && status === 401 ? { 'x-token-broker-error': 'session-changed' } : {};
      return axiosAnswer(config, status, {}, headers);
    };
    const { source } = fakeSource({ controlled: true });
    const instance = axios.create({ adapter });
    attachAxios(instance, source);
    return { methods, instance };
  }

  it('sends a request without a body once more when the controller changed while it was out', async () => {
    const { methods, instance } = handOver();
    expect((await instance.get('/api/me')).status).toBe(200);
    expect(methods).toEqual(['get', 'get']);
  });

  it('hands back the 401 when the controller did not change, the worker marked it, or the request had a body', async () => {
    for (const [options, send] of [
      [{ change: false }, (i: AxiosInstance) => i.get('/api/me')],
      [{ marked: true }, (i: AxiosInstance) => i.get('/api/me')],
      [{}, (i: AxiosInstance) => i.post('/api/me', { a: 1 })],
    ] as const) {
      const { methods, instance } = handOver(options);
      await status401(send(instance));
      expect(methods).toHaveLength(1);
    }
  });
});

describe('attachAxios on an uncontrolled page', () => {
  it('adds the bearer token from the worker', async () => {
    const { server, instance } = setup();
    const response = await instance.get('/api/users');
    expect(response.status).toBe(200);
    expect(server.seen).toEqual([{ url: `${APP}/api/users`, authorization: 'Bearer at-1' }]);
  });

  it('checks the scope on the URL axios really sends to (baseURL joined like axios does)', async () => {
    for (const [baseURL, url] of [
      ['/api', '/users'],
      ['/api/', 'users'],
      [`${APP}/api`, 'users'],
    ] as const) {
      const { server, instance } = setup({ baseURL });
      await instance.get(url).catch(() => undefined);
      expect(server.seen).toEqual([{ url: `${APP}/api/users`, authorization: 'Bearer at-1' }]);
    }
    // An absolute URL wins over baseURL, as in axios.
    const { server, instance } = setup({ baseURL: '/api' });
    await instance.get('https://elsewhere.test/api/users').catch(() => undefined);
    expect(server.seen).toEqual([{ url: 'https://elsewhere.test/api/users', authorization: undefined }]);
  });

  it('on a 401 asks the worker to recover exactly once and retries once with the new token', async () => {
    const { server, source, instance } = setup({ valid: 'at-2' });
    const response = await instance.post('/api/orders', { id: 7 });
    expect(response.status).toBe(200);
    expect(source.recover).toHaveBeenCalledTimes(1);
    expect(source.recover).toHaveBeenCalledWith(
      expect.objectContaining({ generation: 1, session: 'login-1' }),
    );
    expect(server.seen).toEqual([
      { url: `${APP}/api/orders`, authorization: 'Bearer at-1' },
      { url: `${APP}/api/orders`, authorization: 'Bearer at-2' },
    ]);
  });

  it('returns a second 401 as the error, without another recover or retry', async () => {
    const { server, source, instance } = setup({ valid: null });
    await status401(instance.get('/api/users'));
    expect(source.recover).toHaveBeenCalledTimes(1);
    expect(server.seen.map((s) => s.authorization)).toEqual(['Bearer at-1', 'Bearer at-2']);
  });

  it('returns the original 401 when the worker cannot recover', async () => {
    const { server, source, state, instance } = setup({ valid: 'at-2' });
    state.failRecover = true;
    await status401(instance.get('/api/users'));
    expect(source.recover).toHaveBeenCalledTimes(1);
    expect(server.seen).toHaveLength(1);
  });

  it('sends the request without a token when the worker has none (and does not hang)', async () => {
    const { server, source, state, instance } = setup();
    state.failTokenInfo = true;
    await status401(instance.get('/api/users'));
    expect(server.seen).toEqual([{ url: `${APP}/api/users`, authorization: undefined }]);
    expect(source.recover).not.toHaveBeenCalled();
  });

  it('leaves out-of-scope URLs alone', async () => {
    const { server, source, instance } = setup();
    await instance.get('/public/info');
    await status401(instance.get('https://api.app.test.evil.test/api/users'));
    expect(server.seen).toEqual([
      { url: `${APP}/public/info`, authorization: undefined },
      { url: 'https://api.app.test.evil.test/api/users', authorization: undefined },
    ]);
    expect(source.tokenInfo).not.toHaveBeenCalled();
  });

  it('leaves an Authorization the app set alone, and does not recover its 401', async () => {
    const { server, source, instance } = setup();
    await status401(instance.get('/api/users', { headers: { Authorization: 'Basic dXNlcjpwdw==' } }));
    instance.defaults.headers.common['authorization'] = 'Bearer app-own';
    await status401(instance.get('/api/users'));
    expect(server.seen.map((s) => s.authorization)).toEqual(['Basic dXNlcjpwdw==', 'Bearer app-own']);
    expect(source.tokenInfo).not.toHaveBeenCalled();
    expect(source.recover).not.toHaveBeenCalled();
  });
});

describe('the detach function', () => {
  it('ejects both interceptors', async () => {
    const { server, source, instance, detach } = setup({ valid: 'at-2' });
    detach();
    await status401(instance.get('/api/users'));
    // A request carrying the marker the request interceptor would set still gets no recovery.
    await status401(instance.get('/api/users', { __tokenBrokerGeneration: 1 } as object));
    expect(server.seen.map((s) => s.authorization)).toEqual([undefined, undefined]);
    expect(source.tokenInfo).not.toHaveBeenCalled();
    expect(source.recover).not.toHaveBeenCalled();
  });

  it('leaves interceptors the app added in place', async () => {
    const { server, instance, detach } = setup();
    instance.interceptors.request.use((config) => {
      config.headers.set('X-App', '1');
      return config;
    });
    detach();
    const seenHeaders: unknown[] = [];
    instance.defaults.adapter = async (config) => {
      seenHeaders.push(config.headers.get('X-App'));
      return { data: null, status: 200, statusText: 'OK', headers: {}, config, request: {} };
    };
    await instance.get('/public/x');
    expect(seenHeaders).toEqual(['1']);
    expect(server.seen).toEqual([]);
  });
});
