import type { AccessTokenInfo } from '../shared/protocol.js';
import type { WireRequestHead } from '../shared/wire.js';
import { raceAbort } from './abort.js';
import { keepaliveBypassesWorker, loginThroughWorker } from './auth-fetch.js';
import { PASS, type TokenSource } from './token-source.js';

/** The parts of an Axios (1.x) request config the broker touches. */
export interface AxiosConfigLike {
  headers: {
    set(name: string, value: string): unknown;
    has(name: string): boolean;
    get(name: string): unknown;
    toJSON?(): Record<string, unknown>;
  };
  method?: string;
  data?: unknown;
  signal?: AbortSignal;
  cancelToken?: { promise: Promise<unknown> };
  validateStatus?: ((status: number) => boolean) | null;
  [key: string]: unknown;
}

/** The parts of an Axios (1.x) instance the broker uses (structural, so axios stays optional). */
/* eslint-disable @typescript-eslint/no-explicit-any -- axios' own interceptor types are generic; `any` keeps every axios version assignable. */
export interface AxiosLike {
  interceptors: {
    request: {
      use(onFulfilled?: ((config: any) => any) | null, onRejected?: ((error: any) => any) | null): number;
      eject(id: number): void;
    };
    response: {
      use(onFulfilled?: ((response: any) => any) | null, onRejected?: ((error: any) => any) | null): number;
      eject(id: number): void;
    };
  };
  request(config: any): Promise<unknown>;
  /** The URL axios will send to (baseURL joined as axios does, which URL resolution would not). */
  getUri(config?: any): string;
}

/** Generation of the token a request went out with; REPLAYED once it was replayed (one replay per request). */
const GENERATION = '__tokenBrokerGeneration';
/** The login (lineage) that token belongs to: a 401 is cured only within it. */
const SESSION = '__tokenBrokerSession';
const REPLAYED = -1;

function authorize(config: AxiosConfigLike, info: AccessTokenInfo): AxiosConfigLike {
  config.headers.set('Authorization', `Bearer ${info.accessToken}`);
  config[GENERATION] = info.generation;
  config[SESSION] = info.session;
  return config;
}

/** The request's abort signal; a (deprecated) CancelToken is turned into one. */
function signalOf(config: AxiosConfigLike): AbortSignal | undefined {
  if (config.signal || !config.cancelToken) return config.signal;
  const controller = new AbortController();
  void config.cancelToken.promise.then((reason) => controller.abort(reason));
  return controller.signal;
}

function headOf(instance: AxiosLike, config: AxiosConfigLike): WireRequestHead {
  const authorization = config.headers.get('Authorization');
  return {
    method: (config.method ?? 'get').toUpperCase(),
    url: new URL(instance.getUri(config), location.href).href,
    // The routing rule reads only the method, the URL and whether Authorization is there.
    headers:
      authorization == null || authorization === false ? [] : [['authorization', String(authorization)]],
  };
}

/**
 * The config for the one replay: the body is the one already serialised for the first
 * attempt, so the app's `transformRequest` must not run again (it would turn a JSON string
 * into `{"0":"{",…}`); headers, including the Content-Type the first run set, are kept.
 */
function replayOf(config: AxiosConfigLike): AxiosConfigLike {
  return { ...config, transformRequest: [(data: unknown) => data], [GENERATION]: REPLAYED };
}

/** An adapter that sends a login through the worker's capture and answers like axios' own adapters. */
function loginAdapter(instance: AxiosLike, source: TokenSource) {
  return async (config: AxiosConfigLike) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(config.headers.toJSON?.() ?? {}))
      if (value != null && value !== false) headers.set(name, String(value));
    const init = {
      method: (config.method ?? 'post').toUpperCase(),
      headers,
      body: (config.data ?? null) as BodyInit | null,
      signal: signalOf(config) ?? null,
    };
    const response = await loginThroughWorker(
      source,
      new Request(new URL(instance.getUri(config), location.href), init),
    );
    const out = {
      data: await response.text(),
      status: response.status,
      statusText: response.statusText,
      headers: Object.fromEntries(response.headers),
      config,
      request: null,
    };
    if (!config.validateStatus || config.validateStatus(out.status)) return out;
    const code = out.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST';
    // Shaped like an AxiosError (axios.isAxiosError matches it) without importing axios.
    throw Object.assign(new Error(`Request failed with status code ${out.status}`), {
      name: 'AxiosError',
      isAxiosError: true,
      code,
      config,
      response: out,
    });
  };
}

/**
 * While the page is controlled the worker does everything and these interceptors change
 * nothing (so there is never a second refresh path). While it is not (hard reload,
 * workers blocked), the worker decides each request by its own rule; these attach its
 * token, send 401s to its lock and replay the first attempt's bytes once, and route a login
 * through its capture. An abort is honoured at every wait. A keepalive request (the fetch
 * adapter's `fetchOptions.keepalive`) in an engine that sends those around the worker is
 * handled like one of an uncontrolled page.
 */
export function attachAxios(instance: AxiosLike, source: TokenSource): () => void {
  const requestId = instance.interceptors.request.use(async (config: AxiosConfigLike) => {
    const keepalive = (config.fetchOptions as { keepalive?: unknown } | undefined)?.keepalive === true;
    const bypass = keepalive && keepaliveBypassesWorker();
    if ((source.controlled() && !bypass) || config[GENERATION] === REPLAYED) return config;
    // Aborted while asking: axios itself rejects the request (CanceledError) before sending it.
    const decision = await raceAbort(
      source.route(headOf(instance, config)).catch(() => PASS),
      signalOf(config),
    ).catch(() => PASS);
    if (decision.route === 'login') return { ...config, adapter: loginAdapter(instance, source) };
    return decision.route === 'token' && decision.token ? authorize(config, decision.token) : config;
  });

  const responseId = instance.interceptors.response.use(
    undefined,
    async (error: { config?: AxiosConfigLike; response?: { status?: number } }) => {
      const config = error?.config;
      if (error?.response?.status !== 401 || !config || !((config[GENERATION] as number) >= 0)) throw error;
      const seen = { generation: config[GENERATION] as number, session: config[SESSION] as string };
      const info = await raceAbort(
        source.recover(seen).catch(() => null),
        signalOf(config),
      ).catch(() => 'aborted' as const);
      // Aborted: replaying with the aborted signal makes axios reject with its own CanceledError, sending nothing.
      if (info === 'aborted') return instance.request(replayOf(config));
      if (!info) throw error;
      return instance.request(replayOf(authorize(config, info)));
    },
  );

  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}
