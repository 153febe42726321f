import { TokenBrokerError } from '../shared/errors.js';
import { type AccessTokenInfo, ERROR_HEADER } from '../shared/protocol.js';
import type { WireRequestHead } from '../shared/wire.js';
import { raceAbort } from './abort.js';
import { keepaliveBypassesWorker, loginThroughWorker } from './auth-fetch.js';
import { decide } from './decide.js';
import { watchHandOver } from './handover-resend.js';
import type { TokenSource } from './token-source.js';

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

// `any` below: axios' own adapter types are generic, and `any` keeps every axios 1.x version assignable.
/** An Axios adapter: sends one request config; resolves with the response or rejects with an AxiosError. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AxiosAdapterLike = (config: any) => Promise<any>;

/** What turns adapter names (`['xhr', 'http', 'fetch']`) into a function: axios' default export has it. */
export interface AxiosAdapters {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  getAdapter(adapters: any, config?: any): AxiosAdapterLike;
}

/** The parts of an Axios (1.x) instance the broker uses (structural, so axios stays optional). */
export interface AxiosLike {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  defaults: { adapter?: any };
  /** The URL axios will send to (baseURL joined as axios does, which URL resolution would not). */
  // biome-ignore lint/suspicious/noExplicitAny: see above
  getUri(config?: any): string;
  /** Only axios' default export has it; instances from `axios.create` need `attachAxios(api, axios)`. */
  getAdapter?: AxiosAdapters['getAdapter'];
}

function authorize(config: AxiosConfigLike, info: AccessTokenInfo): AxiosConfigLike {
  config.headers.set('Authorization', `Bearer ${info.accessToken}`);
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

/** What axios rejects an aborted request with: `axios.isCancel` matches it by `__CANCEL__`. */
function canceled(config: AxiosConfigLike): Error {
  return Object.assign(new Error('canceled'), {
    name: 'CanceledError',
    code: 'ERR_CANCELED',
    __CANCEL__: true,
    config,
  });
}

type Outcome = { response?: Answer; status?: number; headers?: Answer['headers'] } | undefined;
type Answer = { status?: number; headers?: { get?(name: string): unknown; [name: string]: unknown } };

/** The status of an adapter's outcome: its response's, or the response an AxiosError carries. */
function statusOf(outcome: Outcome): number | undefined {
  return outcome?.response?.status ?? outcome?.status;
}

/** Whether the worker marked the outcome's response (`x-token-broker-error`). */
function markedByWorker(outcome: Outcome): boolean {
  const headers = outcome?.response?.headers ?? outcome?.headers;
  return (headers?.get?.(ERROR_HEADER) ?? headers?.[ERROR_HEADER]) != null;
}

/** Controlled page: sent as it is; a hand-over's 401 may go once more (handover-resend.ts). */
async function throughWorker(config: AxiosConfigLike, send: () => Promise<unknown>): Promise<unknown> {
  const aroundWorkers = watchHandOver();
  const first = await send().then(
    (value) => ({ ok: true, value }),
    (value: unknown) => ({ ok: false, value }),
  );
  const outcome = first.value as Outcome;
  if (config.data == null && aroundWorkers(statusOf(outcome), markedByWorker(outcome))) return send();
  if (first.ok) return first.value;
  throw first.value;
}

/**
 * Wraps the instance's adapter, below every interceptor: whatever the app's request
 * interceptors did has been done, and no response interceptor has seen the answer yet, so the
 * order in which the app and the broker attached theirs does not matter. The adapter waits
 * (bounded) for the client to be ready. While the page is controlled it sends the request as
 * it is: the worker does everything, so there is never a second refresh path (a request without a
 * body that a worker hand-over sent around both workers goes once more, `watchHandOver`). While it is not
 * (hard reload, workers blocked), the worker decides each request by its own rule; this
 * attaches its token, sends a 401 to its lock and replays once through the same adapter with
 * the same config, so the bytes of the first attempt (`transformRequest` ran once, above), and
 * routes a login through its capture. An abort is honoured at every wait: the request then
 * rejects like one axios cancelled (`axios.isCancel`), and nothing more is sent.
 *
 * Adapters given by name (axios' default) are resolved with `axios.getAdapter`: pass the axios
 * default export as `adapters` unless the instance is that export itself.
 */
export function attachAxios(instance: AxiosLike, source: TokenSource, adapters?: AxiosAdapters): () => void {
  const original: unknown = instance.defaults.adapter;
  const getAdapter = adapters?.getAdapter ?? instance.getAdapter;
  const inner: ((config: AxiosConfigLike) => AxiosAdapterLike) | undefined =
    typeof original === 'function'
      ? () => original as AxiosAdapterLike
      : getAdapter && ((config) => getAdapter(original, config));
  if (!inner)
    throw new TokenBrokerError(
      'invalid-config',
      'attachAxios needs axios.getAdapter to find the adapter: call attachAxios(instance, axios) with the axios default export',
    );

  const adapter = async (config: AxiosConfigLike): Promise<unknown> => {
    const send = (): Promise<unknown> => inner(config)(config);
    const signal = signalOf(config);
    const head = headOf(instance, config);
    // A keepalive request (the fetch adapter's `fetchOptions.keepalive`) in an engine that sends
    // those around the worker is decided like one of an uncontrolled page.
    const keepalive = (config.fetchOptions as { keepalive?: unknown } | undefined)?.keepalive === true;
    const decision = await decide(source, head, signal, keepalive && keepaliveBypassesWorker()).catch(
      (error: unknown) => {
        throw signal?.aborted ? canceled(config) : error;
      },
    );
    if (decision.kind === 'login') return loginAdapter(instance, source)(config);
    if (decision.kind === 'worker') return throughWorker(config, send);
    if (decision.kind !== 'token') return send();
    authorize(config, decision.info);
    const first = await send().then(
      (value) => ({ ok: true, value }),
      (value: unknown) => ({ ok: false, value }),
    );
    const settle = (): unknown => {
      if (first.ok) return first.value;
      throw first.value;
    };
    if (statusOf(first.value as Outcome) !== 401) return settle();
    const info = await raceAbort(
      source.recover(decision.info).catch(() => null),
      signal,
    ).catch(() => 'aborted' as const);
    if (info === 'aborted') throw canceled(config);
    source.log?.(info ? '401 cured, replayed' : '401 not cured', head);
    if (!info) return settle();
    authorize(config, info);
    return send();
  };

  instance.defaults.adapter = adapter;
  return () => {
    if (instance.defaults.adapter === adapter) instance.defaults.adapter = original;
  };
}
