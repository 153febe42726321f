import type { TokenSource } from './token-source.js';

/** The parts of an Axios request config the broker touches. */
export interface AxiosConfigLike {
  url?: string;
  baseURL?: string;
  headers?: unknown;
  [key: string]: unknown;
}

/** The parts of an Axios instance the broker uses (structural, so axios stays optional). */
/* eslint-disable @typescript-eslint/no-explicit-any -- axios' own interceptor types are generic; `any` keeps every axios version assignable. */
export interface AxiosLike {
  interceptors: {
    request: { use(onFulfilled?: ((config: any) => any) | null, onRejected?: ((error: any) => any) | null): number; eject(id: number): void };
    response: { use(onFulfilled?: ((response: any) => any) | null, onRejected?: ((error: any) => any) | null): number; eject(id: number): void };
  };
  request(config: any): Promise<unknown>;
}

const GENERATION = '__tokenBrokerGeneration';
const RETRIED = '__tokenBrokerRetried';

type Headers = { set?: (name: string, value: string) => void; has?: (name: string) => boolean } & Record<string, unknown>;

function headersOf(config: AxiosConfigLike): Headers {
  return (config.headers ??= {}) as Headers;
}

function hasAuthorization(config: AxiosConfigLike): boolean {
  const h = headersOf(config);
  return typeof h.has === 'function' ? h.has('Authorization') : Object.keys(h).some((k) => k.toLowerCase() === 'authorization');
}

/**
 * The URL axios will send to. Axios joins `baseURL` and a relative `url` as strings
 * (`/api` + `/users` → `/api/users`, its buildFullPath); URL resolution would drop `/api`.
 */
function requestUrl(config: AxiosConfigLike): string {
  const url = config.url ?? '';
  const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url);
  const base = config.baseURL;
  const full = base && (!absolute || config.allowAbsoluteUrls === false) ? (url ? `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}` : base) : url;
  return new URL(full, location.href).href;
}

function setAuthorization(config: AxiosConfigLike, token: string): void {
  const h = headersOf(config);
  if (typeof h.set === 'function') h.set('Authorization', `Bearer ${token}`);
  else h.Authorization = `Bearer ${token}`;
}

/**
 * While the page is controlled the worker does everything and these interceptors change
 * nothing (so there is never a second refresh path). While it is not (hard reload,
 * workers blocked), they attach the worker's token and send 401s to the worker's lock.
 */
export function attachAxios(instance: AxiosLike, source: TokenSource): () => void {
  const requestId = instance.interceptors.request.use(async (config: AxiosConfigLike) => {
    await source.ready;
    if (source.controlled() || !source.inScope(requestUrl(config)) || hasAuthorization(config)) return config;
    const info = await source.tokenInfo().catch(() => null);
    if (info) {
      setAuthorization(config, info.accessToken);
      config[GENERATION] = info.generation;
    }
    return config;
  });

  const responseId = instance.interceptors.response.use(undefined, async (error: { config?: AxiosConfigLike; response?: { status?: number } }) => {
    const config = error?.config;
    if (error?.response?.status !== 401 || !config || typeof config[GENERATION] !== 'number' || config[RETRIED]) throw error;
    const info = await source.recover(config[GENERATION] as number).catch(() => null);
    if (!info) throw error;
    config[RETRIED] = true;
    config[GENERATION] = info.generation;
    setAuthorization(config, info.accessToken);
    return instance.request(config);
  });

  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}
