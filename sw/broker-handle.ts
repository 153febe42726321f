import { TokenBrokerError } from '../shared/errors.js';
import type { BrokerStatus } from '../shared/protocol.js';
import type { Broker } from './broker.js';

/**
 * What an app's own worker code may use of the broker (`installTokenBroker(…).broker`): when it
 * is ready, the session's state, and when its work is done. Never token material: requests get
 * their token through `installed.fetch` or `tokenBrokerPlugin`, pages through `getAccessToken()`.
 */
export interface BrokerHandle {
  /** Resolves once the config and the session are loaded from IndexedDB (every handler waits for it). */
  ready(): Promise<void>;
  /** The session's state as pages see it (`broker.status()` on the page), read from IndexedDB first. */
  status(): Promise<BrokerStatus>;
  /** Resolves once no refresh, cache deletion or revocation this worker started is running: hold an event open with it. */
  settled(): Promise<void>;
}

const brokers = new WeakMap<object, Broker>();

/** The frozen handle for `broker`; `brokerOf(handle)` gives the broker back to this package's own code. */
export function createHandle(broker: Broker): BrokerHandle {
  const handle: BrokerHandle = Object.freeze({
    ready: () => broker.ready(),
    status: async () => {
      await broker.sync();
      return broker.status();
    },
    settled: () => broker.settled(),
  });
  brokers.set(handle, broker);
  return handle;
}

/** The broker behind a handle `createHandle` made (for the Workbox plugin and tests), never exported to apps. */
export function brokerOf(handle: BrokerHandle): Broker {
  const broker = brokers.get(handle);
  if (!broker)
    throw new TokenBrokerError(
      'internal',
      'not a broker handle from installTokenBroker of this copy of sw-token-broker',
    );
  return broker;
}
