import { expose, type Endpoint } from 'comlink';
import type { DeclarativeConfig } from '../shared/config.js';
import { DEFAULT_REFRESH_TIMEOUT_SECONDS } from '../shared/defaults.js';
import { serializeError, toTokenBrokerError, TokenBrokerError } from '../shared/errors.js';
import type { BrokerApi, RefreshRequest, Result, SessionTokens } from '../shared/protocol.js';
import { PROTOCOL_VERSION, type WireRequest, type WireRequestHead } from '../shared/wire.js';
import type { Broker } from './broker.js';
import { captureLoginForPage, routeForPage } from './page-requests.js';

function result<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: A) => Promise<Result<T>> {
  return async (...args) => {
    try {
      return { ok: true, value: await fn(...args) };
    } catch (error) {
      // Comlink keeps only name/message of thrown errors: send a typed result instead.
      return { ok: false, error: serializeError(toTokenBrokerError(error)) };
    }
  };
}

/**
 * The functions pages may call. Frozen and stateless: Comlink lets the caller GET or SET
 * any property path of the exposed object, so it must hold nothing worth reading.
 */
export function createBrokerApi(
  broker: Broker,
  claim: () => Promise<void>,
  fetchFn: typeof fetch = (input, init) => fetch(input, init),
): BrokerApi {
  return Object.freeze({
    // Answers before storage is read: the page's handshake must be fast even for a cold worker.
    hello: result(async () => ({ protocol: PROTOCOL_VERSION })),
    route: result((request: WireRequestHead) => routeForPage(broker, request)),
    captureLogin: result((request: WireRequest) => captureLoginForPage(broker, request, fetchFn)),
    configure: result((config: DeclarativeConfig) => broker.configure(config)),
    setSession: result((tokens: SessionTokens) => broker.setSession(tokens)),
    getAccessToken: result(async (options?: { minValidityMs?: number }) =>
      broker.getAccessToken(Number(options?.minValidityMs) || 0),
    ),
    refresh: result(async (request: RefreshRequest) => {
      const trigger = request?.trigger === 'unauthorized' ? 'unauthorized' : 'explicit';
      const generation = typeof request?.seenGeneration === 'number' ? request.seenGeneration : undefined;
      const lineage = typeof request?.seenSession === 'string' ? request.seenSession : undefined;
      const seen =
        generation === undefined ? undefined : { generation, ...(lineage === undefined ? {} : { lineage }) };
      // Callers stop waiting at the refresh timeout; the refresh runs on (install.ts keeps the worker alive).
      await broker.refreshWithin(
        broker.currentConfig()?.refreshTimeoutMs ?? DEFAULT_REFRESH_TIMEOUT_SECONDS * 1000,
        trigger,
        seen,
      );
      return broker.status();
    }),
    logout: result(() => broker.logout()),
    status: result(async () => {
      await broker.sync();
      return broker.status();
    }),
    wake: result(async () => {
      await broker.sync();
      await broker.refreshIfDue();
      return broker.status();
    }),
    abort: result(async (id: string) => {
      if (typeof id === 'string' && id.length <= 64) broker.aborts.abort(id);
      return null;
    }),
    claim: result(async () => {
      await claim();
      await broker.ready();
      return broker.status();
    }),
  });
}

/**
 * Serves one Comlink call that arrived as its own `message` event, replying on the port
 * that came with it. Resolves once the reply is sent, so the caller can hold the event
 * open with `waitUntil` until then (docs/platform-facts.md §3).
 */
export function serveCall(api: BrokerApi, call: unknown, port: MessagePort): Promise<void> {
  const unknownMethod = unsupportedMethod(api, call);
  // A page client of a newer version calling a method this worker lacks gets a typed error at
  // once, not a call timeout (the README's versioning rule for adjacent versions).
  if (unknownMethod !== null) return serve(unsupportedApi(unknownMethod), call, port);
  if (!isMethodCall(api, call)) {
    // Only plain method calls: no property reads or writes, nothing that would never answer.
    port.close();
    return Promise.resolve();
  }
  return serve(api, call, port);
}

function serve(api: object, call: unknown, port: MessagePort): Promise<void> {
  return new Promise((resolve) => {
    let listener: ((event: MessageEvent) => void) | undefined;
    const endpoint: Endpoint = {
      postMessage(message: unknown, transfer?: Transferable[]) {
        port.postMessage(message, transfer ?? []);
        port.close();
        resolve();
      },
      addEventListener(_type: string, l: EventListenerOrEventListenerObject) {
        listener = l as (event: MessageEvent) => void;
      },
      removeEventListener() {
        listener = undefined;
      },
    };
    expose(api, endpoint);
    listener?.({ data: call, origin: '' } as MessageEvent);
  });
}

// Method names a page client could send: plain identifiers, never prototype members.
const METHOD_NAME = /^[a-z][A-Za-z]{0,31}$/;

/** The method a well-formed call names (`APPLY` of one path element), else null. */
function calledName(call: unknown): unknown {
  const c = call as { type?: unknown; path?: unknown } | null;
  return typeof c === 'object' &&
    c !== null &&
    c.type === 'APPLY' &&
    Array.isArray(c.path) &&
    c.path.length === 1
    ? c.path[0]
    : null;
}

/** The name of a well-formed call to a method `api` does not have, else null. */
function unsupportedMethod(api: BrokerApi, call: unknown): string | null {
  const name = calledName(call);
  if (typeof name !== 'string' || !METHOD_NAME.test(name) || name in api) return null;
  return name;
}

/** A stand-in holding only `name`, which answers `worker-unavailable` (nothing else to read). */
function unsupportedApi(name: string): object {
  const error = new TokenBrokerError(
    'worker-unavailable',
    `this worker version does not support ${name}(); the page and worker are of different versions`,
  );
  const answer = async (): Promise<Result<never>> => ({ ok: false, error: serializeError(error) });
  return Object.freeze({ [name]: answer });
}

function isMethodCall(api: BrokerApi, call: unknown): boolean {
  const name = calledName(call);
  return typeof name === 'string' && Object.hasOwn(api, name);
}
