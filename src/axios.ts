import type { AccessTokenInfo } from '../shared/protocol.js';
import type { TokenSource } from './token-source.js';

/** The parts of an Axios (1.x) request config the broker touches. */
export interface AxiosConfigLike {
  headers: { set(name: string, value: string): unknown; has(name: string): boolean };
  [key: string]: unknown;
}

/** The parts of an Axios (1.x) instance the broker uses (structural, so axios stays optional). */
/* eslint-disable @typescript-eslint/no-explicit-any -- axios' own interceptor types are generic; `any` keeps every axios version assignable. */
export interface AxiosLike {
  interceptors: {
    request: { use(onFulfilled?: ((config: any) => any) | null, onRejected?: ((error: any) => any) | null): number; eject(id: number): void };
    response: { use(onFulfilled?: ((response: any) => any) | null, onRejected?: ((error: any) => any) | null): number; eject(id: number): void };
  };
  request(config: any): Promise<unknown>;
  /** The URL axios will send to (baseURL joined as axios does, which URL resolution would not). */
  getUri(config?: any): string;
}

/** Generation of the token a request went out with; -1 once it was replayed (one replay per request). */
const GENERATION = '__tokenBrokerGeneration';

function authorize(config: AxiosConfigLike, info: AccessTokenInfo): AxiosConfigLike {
  config.headers.set('Authorization', `Bearer ${info.accessToken}`);
  config[GENERATION] = info.generation;
  return config;
}

/**
 * While the page is controlled the worker does everything and these interceptors change
 * nothing (so there is never a second refresh path). While it is not (hard reload,
 * workers blocked), they attach the worker's token and send 401s to the worker's lock.
 */
export function attachAxios(instance: AxiosLike, source: TokenSource): () => void {
  const requestId = instance.interceptors.request.use(async (config: AxiosConfigLike) => {
    if (source.controlled() || config.headers.has('Authorization') || !source.inScope(new URL(instance.getUri(config), location.href).href)) return config;
    const info = await source.tokenInfo().catch(() => null);
    return info ? authorize(config, info) : config;
  });

  const responseId = instance.interceptors.response.use(undefined, async (error: { config?: AxiosConfigLike; response?: { status?: number } }) => {
    const config = error?.config;
    if (error?.response?.status !== 401 || !config || !((config[GENERATION] as number) >= 0)) throw error;
    const info = await source.recover(config[GENERATION] as number).catch(() => null);
    if (!info) throw error;
    authorize(config, info)[GENERATION] = -1;
    return instance.request(config);
  });

  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}
