import { wrap, type Endpoint } from 'comlink';
import { fromSerializedError, TokenBrokerError } from '../shared/errors.js';
import { ENVELOPE_KEY, type BrokerApi, type BrokerMethod, type Result } from '../shared/protocol.js';

export type Args<M extends BrokerMethod> = Parameters<BrokerApi[M]>;
type Value<M extends BrokerMethod> = Awaited<ReturnType<BrokerApi[M]>> extends Result<infer T> ? T : never;

export interface CallOptions {
  /** Which worker to talk to right now (the controller, else the registration's active worker). */
  target: () => ServiceWorker | null | undefined;
  timeoutMs: number;
  /** Extra attempts after a timeout (generations make refreshes safe to repeat). @default 1 */
  retries?: number;
}

/**
 * One Comlink call as one fresh `postMessage` event with its own reply port. A worker
 * that was stopped is started again by the event, and a dead port can never strand
 * later calls (comlink #637, PITFALLS §3).
 */
function callOnce<M extends BrokerMethod>(worker: ServiceWorker, method: M, args: Args<M>, timeoutMs: number): Promise<Result<Value<M>>> {
  const channel = new MessageChannel();
  const port1 = channel.port1;
  let port2: MessagePort | undefined = channel.port2;
  const endpoint: Endpoint = {
    postMessage(message: unknown, transfer: Transferable[] = []) {
      // One call, one message. Comlink posts a RELEASE once the proxy is garbage collected;
      // port2 is gone by then (posting it again throws DataCloneError) and the worker holds nothing to release.
      if (port2) worker.postMessage({ [ENVELOPE_KEY]: 1, call: message }, [port2, ...transfer]);
      port2 = undefined;
    },
    addEventListener: port1.addEventListener.bind(port1),
    removeEventListener: port1.removeEventListener.bind(port1),
  };
  // Started here rather than through the endpoint: Comlink would only call start() again per call.
  port1.start();
  const remote = wrap<BrokerApi>(endpoint) as unknown as Record<M, (...a: Args<M>) => Promise<Result<Value<M>>>>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    remote[method](...args),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TokenBrokerError('worker-timeout', `no answer to ${method} in ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => {
    clearTimeout(timer);
    port1.close();
  });
}

/** Calls a broker method, rebuilding errors as `TokenBrokerError`. */
export async function callWorker<M extends BrokerMethod>(method: M, args: Args<M>, options: CallOptions): Promise<Value<M>> {
  for (let attempt = 0; ; attempt++) {
    const worker = options.target();
    if (!worker) throw new TokenBrokerError('worker-unavailable', 'no service worker is active');
    try {
      const result = await callOnce(worker, method, args, options.timeoutMs);
      if (result.ok) return result.value;
      throw fromSerializedError(result.error);
    } catch (error) {
      if (!(error instanceof TokenBrokerError && error.code === 'worker-timeout') || attempt >= (options.retries ?? 1)) throw error;
    }
  }
}
