import { wrap, type Endpoint } from 'comlink';
import { fromSerializedError, TokenBrokerError } from '../shared/errors.js';
import { ENVELOPE_KEY, type BrokerApi, type BrokerMethod, type Result } from '../shared/protocol.js';
import { withTimeout } from '../shared/timeout.js';
import { HANDSHAKE_TIMEOUT_MS, PROTOCOL_VERSION } from '../shared/wire.js';

export type Args<M extends BrokerMethod> = Parameters<BrokerApi[M]>;
type Value<M extends BrokerMethod> = Awaited<ReturnType<BrokerApi[M]>> extends Result<infer T> ? T : never;

export interface CallOptions {
  /** The workers that may serve the call right now, most preferred first (or one, or none). */
  target: () => ServiceWorker | readonly ServiceWorker[] | null | undefined;
  timeoutMs: number;
  /** Extra attempts after a timeout (generations make refreshes safe to repeat). @default 1 */
  retries?: number;
  /**
   * Send the call again, as a new event, when no answer came after this long; the first answer
   * wins. A worker that died mid-call never answers, and the new event starts it again. Only for
   * calls that may run twice. @default undefined (never)
   */
  resendAfterMs?: number;
  /** How long a worker gets to answer the version handshake. @default 1000 */
  handshakeMs?: number;
  /** Looks for a newer worker version (`registration.update()`), used while no candidate speaks the protocol. */
  update?: () => Promise<unknown>;
  /** Whether the script the registration would update to is a broker (read from its text), asked alongside `update`. */
  brokerScript?: () => Promise<boolean>;
}

/**
 * One Comlink call as one fresh `postMessage` event with its own reply port. A worker
 * that was stopped is started again by the event, and a dead port can never strand
 * later calls (comlink #637, docs/platform-facts.md §3).
 */
function callOnce<M extends BrokerMethod>(
  worker: ServiceWorker,
  method: M,
  args: Args<M>,
  timeoutMs: number,
): Promise<Result<Value<M>>> {
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
  const remote = wrap<BrokerApi>(endpoint) as unknown as Record<
    M,
    (...a: Args<M>) => Promise<Result<Value<M>>>
  >;
  return withTimeout(remote[method](...args), timeoutMs, () => {
    throw new TokenBrokerError('worker-timeout', `no answer to ${method} in ${timeoutMs} ms`);
  }).finally(() => port1.close());
}

/** Workers that answered the handshake with our version; a worker object is one script version, so this holds for its life. */
const speaking = new WeakSet<ServiceWorker>();
/** When a worker last failed the handshake: asked again only after a while, so a foreign worker costs one wait, not one per call. */
const refused = new WeakMap<ServiceWorker, number>();
const REFUSAL_MEMORY_MS = 30_000;

/** Handshakes in flight, so concurrent first calls share one `hello`. */
const asking = new WeakMap<ServiceWorker, Promise<boolean>>();

/**
 * How much longer than the window a `hello` is still heard. A broker answers within
 * milliseconds, even from a cold start (docs/platform-facts.md §3); one slower than the window
 * fails that call, and its late answer clears the verdict for the next call.
 */
const LATE_HELLO_FACTOR = 10;

function handshake(worker: ServiceWorker, ms: number): Promise<boolean> {
  if (speaking.has(worker)) return Promise.resolve(true);
  if (Date.now() - (refused.get(worker) ?? -Infinity) < REFUSAL_MEMORY_MS) return Promise.resolve(false);
  let answer = asking.get(worker);
  if (!answer) {
    const reply = callOnce(worker, 'hello', [], ms * LATE_HELLO_FACTOR).then(
      (r) => r.ok && r.value.protocol === PROTOCOL_VERSION,
      () => false,
    );
    void reply.then((ok) => {
      if (!ok) return;
      speaking.add(worker);
      refused.delete(worker);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, ms, false);
    });
    answer = Promise.race([reply, late]).then((ok) => {
      clearTimeout(timer);
      asking.delete(worker);
      // A version still installing may only be slow to start: judged again on the next call.
      if (!ok && worker.state === 'activated') refused.set(worker, Date.now());
      return ok;
    });
    asking.set(worker, answer);
  }
  return answer;
}

function candidates(options: CallOptions): ServiceWorker[] {
  const found = options.target();
  return (Array.isArray(found) ? found : found ? [found] : []) as ServiceWorker[];
}

/** The first of `workers` that speaks our protocol. All are asked at once: a foreign worker first in line costs one handshake timeout. */
async function firstSpeaking(workers: ServiceWorker[], ms: number): Promise<ServiceWorker> {
  const answers = workers.map((worker) => handshake(worker, ms));
  for (const [i, answer] of answers.entries()) if (await answer) return workers[i]!;
  throw new Error('none');
}

/**
 * The worker to call. When the first candidate is not known to speak the protocol and does not
 * answer at once, the registration is asked for a newer version meanwhile (an origin switching
 * from another worker to the broker: `register()` with an unchanged URL does not look for one),
 * and whichever speaks first is used: the new broker does not wait for the old worker's timeout.
 * A worker that is not a broker fails the call with `protocol-mismatch` after one handshake.
 */
async function pick(options: CallOptions): Promise<ServiceWorker> {
  const workers = candidates(options);
  if (workers.length === 0) throw new TokenBrokerError('worker-unavailable', 'no service worker is active');
  if (speaking.has(workers[0]!)) return workers[0]!;
  const ms = options.handshakeMs ?? HANDSHAKE_TIMEOUT_MS;
  const current = firstSpeaking(workers, ms);
  // A broker answers within milliseconds; only a slow answer is worth a look for a newer version.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms / 10);
    current.catch(() => resolve());
  });
  // Whether the script at the registered URL is a broker at all. If not, no update will bring
  // one: the call fails when the window closes instead of waiting for the browser's update check
  // (docs/platform-facts.md §3). Unknown (no check, a network error) counts as maybe.
  const isBroker = slow.then(() => options.brokerScript?.() ?? true).catch(() => true);
  const never = new Promise<never>(() => undefined);
  const foreign = current.then(
    () => never,
    async () => {
      if (!(await isBroker)) throw new Error('foreign');
      return never;
    },
  );
  const newer = slow
    .then(() => options.update?.().catch(() => undefined))
    .then(() =>
      firstSpeaking(
        candidates(options).filter((w) => !workers.includes(w)),
        ms,
      ),
    );
  try {
    return await Promise.race([Promise.any([current, newer]), foreign]);
  } catch {
    const scripts = [...new Set(workers.map((w) => w.scriptURL))].join(', ');
    throw new TokenBrokerError(
      'protocol-mismatch',
      `the service worker ${scripts} does not speak the sw-token-broker protocol (version ${PROTOCOL_VERSION})`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** One attempt, sent again after `resendAfterMs` (to whichever worker is current then) if unanswered. */
async function attempt<M extends BrokerMethod>(
  method: M,
  args: Args<M>,
  options: CallOptions,
): Promise<Result<Value<M>>> {
  const first = callOnce(await pick(options), method, args, options.timeoutMs);
  const after = options.resendAfterMs;
  if (after === undefined || after >= options.timeoutMs) return first;
  let answered = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const again = new Promise<Result<Value<M>>>((resolve, reject) => {
    timer = setTimeout(() => {
      if (!answered)
        pick(options).then(
          (worker) => resolve(callOnce(worker, method, args, options.timeoutMs - after)),
          reject,
        );
    }, after);
  });
  // A resend that never happened must not keep the race open: the first call settles it alone.
  const settled = first.finally(() => {
    answered = true;
    clearTimeout(timer);
  });
  return Promise.race([settled, again]);
}

/** Calls a broker method, rebuilding errors as `TokenBrokerError`. */
export async function callWorker<M extends BrokerMethod>(
  method: M,
  args: Args<M>,
  options: CallOptions,
): Promise<Value<M>> {
  for (let n = 0; ; n++) {
    try {
      const result = await attempt(method, args, options);
      if (result.ok) return result.value;
      throw fromSerializedError(result.error);
    } catch (error) {
      if (
        !(error instanceof TokenBrokerError && error.code === 'worker-timeout') ||
        n >= (options.retries ?? 1)
      )
        throw error;
    }
  }
}
