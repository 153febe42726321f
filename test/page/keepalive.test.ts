import axios, { AxiosError, type AxiosAdapter } from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthFetch, keepaliveBypassesWorker } from '../../src/auth-fetch.js';
import { attachAxios } from '../../src/axios.js';
import { APP, fakeSource } from './fake-source.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';
const CHROMIUM =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** A stubbed global fetch that records how it was called and plays an API that wants `Bearer at-<valid>`. */
function network(valid = 1) {
  const calls: Array<{
    form: 'init' | 'request';
    keepalive: boolean;
    authorization: string | null;
    body: string;
  }> = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const authorization = request.headers.get('authorization');
      calls.push({
        form: input instanceof Request ? 'request' : 'init',
        keepalive: init?.keepalive ?? request.keepalive,
        authorization,
        body: await request.text(),
      });
      return new Response(null, { status: authorization === `Bearer at-${valid}` ? 200 : 401 });
    }),
  );
  return calls;
}

function engine(userAgent: string): void {
  vi.stubGlobal('navigator', { userAgent });
}

beforeEach(() => vi.stubGlobal('location', new URL(`${APP}/app/page`)));
afterEach(() => vi.unstubAllGlobals());

describe('keepalive requests the worker cannot see', () => {
  it('knows Firefox sends keepalive fetches around the worker, Chromium does not', () => {
    engine(FIREFOX);
    expect(keepaliveBypassesWorker()).toBe(true);
    engine(CHROMIUM);
    expect(keepaliveBypassesWorker()).toBe(false);
  });

  it('Firefox, controlled page: broker.fetch attaches the token itself and sends a keepalive fetch (init form)', async () => {
    engine(FIREFOX);
    const calls = network();
    const { source } = fakeSource({ controlled: true });
    const response = await createAuthFetch(source)(`${APP}/api/beacon`, {
      method: 'POST',
      body: 'bye',
      keepalive: true,
    });
    expect(response.status).toBe(200);
    expect(calls).toEqual([{ form: 'init', keepalive: true, authorization: 'Bearer at-1', body: 'bye' }]);
  });

  it('Firefox: a 401 is cured through the worker and replayed once, still keepalive, with the same bytes', async () => {
    engine(FIREFOX);
    const calls = network(2);
    const { source } = fakeSource({ controlled: true });
    const response = await createAuthFetch(source)(`${APP}/api/beacon`, {
      method: 'POST',
      body: 'bye',
      keepalive: true,
    });
    expect(response.status).toBe(200);
    expect(calls.map((c) => [c.authorization, c.keepalive, c.body])).toEqual([
      ['Bearer at-1', true, 'bye'],
      ['Bearer at-2', true, 'bye'],
    ]);
  });

  it('Firefox: a keepalive request outside the API scope goes out keepalive, without a token', async () => {
    engine(FIREFOX);
    const calls = network();
    const { source } = fakeSource({ controlled: true });
    await createAuthFetch(source)(`${APP}/metrics`, { method: 'POST', body: 'x', keepalive: true });
    expect(calls).toEqual([{ form: 'init', keepalive: true, authorization: null, body: 'x' }]);
  });

  it('Chromium (the worker sees keepalive requests): passed through untouched, never a second token', async () => {
    engine(CHROMIUM);
    const calls = network();
    const { source } = fakeSource({ controlled: true });
    const spy = vi.spyOn(source, 'route');
    await createAuthFetch(source)(`${APP}/api/beacon`, { method: 'POST', body: 'bye', keepalive: true });
    expect(spy).not.toHaveBeenCalled();
    expect(calls).toEqual([{ form: 'request', keepalive: true, authorization: null, body: 'bye' }]);
  });

  it('Firefox, a request without keepalive on a controlled page: the worker does the work', async () => {
    engine(FIREFOX);
    const calls = network();
    const { source } = fakeSource({ controlled: true });
    await createAuthFetch(source)(`${APP}/api/me`);
    expect(calls).toEqual([{ form: 'request', keepalive: false, authorization: null, body: '' }]);
  });
});

describe('Axios (fetch adapter) keepalive requests the worker cannot see', () => {
  /** An adapter playing the API (wants `Bearer at-<valid>`) that records the Authorization it got. */
  function axiosOn(valid: number) {
    const seen: Array<string | undefined> = [];
    const adapter: AxiosAdapter = async (config) => {
      const authorization = config.headers.get('Authorization') as string | undefined;
      seen.push(authorization);
      const status = authorization === `Bearer at-${valid}` ? 200 : 401;
      const response = { data: null, status, statusText: '', headers: {}, config, request: {} };
      if (status === 401) throw new AxiosError('401', AxiosError.ERR_BAD_REQUEST, config, {}, response);
      return response;
    };
    return { seen, instance: axios.create({ adapter }) };
  }

  it('Firefox, controlled page: the interceptor attaches the token to a keepalive request and cures a 401 once', async () => {
    engine(FIREFOX);
    const { seen, instance } = axiosOn(2);
    const { source } = fakeSource({ controlled: true });
    attachAxios(instance, source);
    const response = await instance.post(`${APP}/api/beacon`, 'bye', { fetchOptions: { keepalive: true } });
    expect(response.status).toBe(200);
    expect(seen).toEqual(['Bearer at-1', 'Bearer at-2']);
  });

  it('Chromium, or a request without keepalive: left to the worker', async () => {
    const { seen, instance } = axiosOn(1);
    const { source } = fakeSource({ controlled: true });
    attachAxios(instance, source);
    engine(CHROMIUM);
    await expect(
      instance.post(`${APP}/api/beacon`, 'bye', { fetchOptions: { keepalive: true } }),
    ).rejects.toThrow();
    engine(FIREFOX);
    await expect(instance.get(`${APP}/api/me`)).rejects.toThrow();
    expect(seen).toEqual([undefined, undefined]); // the (absent) worker would have attached it
  });
});
