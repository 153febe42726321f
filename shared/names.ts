import { TokenBrokerError } from './errors.js';

/** The name of a broker that was given none; its resources keep the names of earlier versions. */
export const DEFAULT_BROKER_NAME = 'sw-token-broker';

/** Query parameter of the standalone worker's script URL that carries a non-default name. */
export const NAME_PARAM = 'name';

/** Every origin-wide resource one broker uses. Two brokers with different names share none. */
export interface BrokerNames {
  /** The name itself (validated). */
  name: string;
  /** IndexedDB database (session and config). */
  db: string;
  /** BroadcastChannel between the worker and the tabs. */
  channel: string;
  /** Web Lock that serialises refreshes (worker versions and pages share it). */
  refreshLock: string;
  /** Web Lock the tab that sends proactive wake-ups holds. */
  leaderLock: string;
}

// Web Lock names starting with '-' are reserved (Web Locks API), and a name ends up in a URL:
// keep it to a plain token.
const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** True for a name `brokerNames` accepts. */
export function isValidBrokerName(name: unknown): name is string {
  return typeof name === 'string' && VALID_NAME.test(name);
}

/**
 * The one derivation of a broker's resource names from its name (the `dbName` of
 * `installTokenBroker`, the `name` of `registerTokenBroker`). Throws `invalid-config` on a
 * name that is not 1–64 letters, digits, `_`, `.` or `-` starting with a letter or digit.
 */
export function brokerNames(name: string = DEFAULT_BROKER_NAME): BrokerNames {
  if (!isValidBrokerName(name)) {
    throw new TokenBrokerError('invalid-config', `name must match ${String(VALID_NAME)}`);
  }
  return { name, db: name, channel: name, refreshLock: `${name}:refresh`, leaderLock: `${name}:leader` };
}
