import axios, { type AxiosError, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { attachAxios } from '../../src/axios.js';
import { axiosAnswer } from './axios-answer.js';
import { APP, deferred, fakeSource } from './fake-source.js';

interface Seen {
  url: string;
  authorization: string | undefined;
  data: unknown;
  contentType: unknown;
}

/** `/api/*` wants `Bearer at-2` (the token after one refresh); records what each attempt sent. */
function apiServer() {
  const seen: Seen[] = [];
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const authorization = config.headers.get('Authorization') as string | undefined;
    seen.push({
      url: axios.getUri(config),
      authorization,
      data: config.data,
      contentType: config.headers.get('Content-Type'),
    });
    return axiosAnswer(config, authorization === 'Bearer at-2' ? 200 : 401, 'ok');
  };
  return { seen, adapter };
}

beforeEach(() => {
  vi.stubGlobal('location', new URL(`${APP}/app/page`));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the Axios replay on an uncontrolled page', () => {
  it('sends the bytes of the first attempt again, whatever the app’s transformRequest does', async () => {
    const { seen, adapter } = apiServer();
    const { source } = fakeSource();
    // An app transform that is not idempotent: running it twice would change the body.
    const stamp = vi.fn((data: unknown) => JSON.stringify({ signed: true, payload: data }));
    const instance = axios.create({
      adapter,
      baseURL: `${APP}/api`,
      transformRequest: [stamp],
      headers: { 'Content-Type': 'application/json' },
    });
    attachAxios(instance, source);
    const response = await instance.post('/orders', { id: 7, note: 'wörld' });
    expect(response.status).toBe(200);
    expect(stamp).toHaveBeenCalledTimes(1);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer at-1', 'Bearer at-2']);
    expect(seen[1]?.data).toBe(seen[0]?.data);
    expect(seen[1]?.data).toBe('{"signed":true,"payload":{"id":7,"note":"wörld"}}');
    expect(seen[1]?.contentType).toBe(seen[0]?.contentType);
  });

  it('replays the default JSON serialisation unchanged (no {"0":"{",…} body)', async () => {
    const { seen, adapter } = apiServer();
    const { source } = fakeSource();
    const instance = axios.create({ adapter });
    attachAxios(instance, source);
    await instance.put(`${APP}/api/items/1`, { name: 'x' });
    expect(seen.map((s) => s.data)).toEqual(['{"name":"x"}', '{"name":"x"}']);
    expect(seen[1]?.contentType).toMatch(/^application\/json/);
  });
});

describe('the worker’s rules on an uncontrolled page', () => {
  it('replaces an app-set Authorization when the worker does not respect it (respectExistingAuthorization: false)', async () => {
    const { seen, adapter } = apiServer();
    const { source, state } = fakeSource();
    state.respectExistingAuthorization = false;
    state.generation = 2;
    const instance = axios.create({ adapter, headers: { Authorization: 'Bearer anon-key' } });
    attachAxios(instance, source);
    expect((await instance.get(`${APP}/api/users`)).status).toBe(200);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer at-2']);
  });

  it('sends a login through the worker’s capture and answers like axios (parsed JSON, no refresh token)', async () => {
    const { seen, adapter } = apiServer();
    const { source } = fakeSource();
    const instance = axios.create({ adapter });
    attachAxios(instance, source);
    const response = await instance.post(`${APP}/api/auth/login`, { username: 'demo' });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      access_token: 'at-login',
      expires_in: 60,
      echoed: '{"username":"demo"}',
    });
    expect(seen).toEqual([]); // never sent by the page itself
    expect(source.captureLogin).toHaveBeenCalledTimes(1);
    expect(source.captureLogin.mock.calls[0]?.[0]).toMatchObject({
      method: 'POST',
      url: `${APP}/api/auth/login`,
    });
  });

  it('rejects a failed login like axios does (status on error.response)', async () => {
    const { adapter } = apiServer();
    const { source } = fakeSource();
    source.captureLogin.mockResolvedValueOnce({
      status: 401,
      statusText: 'Unauthorized',
      headers: [],
      body: new TextEncoder().encode('{"error":"bad"}').buffer,
    });
    const instance = axios.create({ adapter });
    attachAxios(instance, source);
    const error = await instance.post(`${APP}/api/auth/login`, {}).catch((e: unknown) => e);
    expect(axios.isAxiosError(error)).toBe(true);
    expect((error as AxiosError).response).toMatchObject({ status: 401, data: { error: 'bad' } });
  });
});

describe('aborts on an uncontrolled page', () => {
  it('rejects a request aborted while its 401 recovery waits at once, and never replays it', async () => {
    const { seen, adapter } = apiServer();
    const { source } = fakeSource();
    const refresh = deferred();
    source.recover.mockImplementationOnce(async () => {
      await refresh.promise;
      return { accessToken: 'at-2', generation: 2, session: 'login-1', expiresIn: 60_000 };
    });
    const instance = axios.create({ adapter });
    attachAxios(instance, source);
    const controller = new AbortController();
    const outcome = instance.get(`${APP}/api/users`, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(source.recover).toHaveBeenCalled());
    controller.abort();
    const error = await outcome;
    expect(axios.isCancel(error)).toBe(true);
    refresh.resolve();
    expect(seen).toHaveLength(1);
  });
});
