import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { TokenBrokerClient } from './client.js';
import { LOADING, type SessionSnapshot } from './snapshot.js';

/** What the bindings need of a client: its snapshot and its `change` event. */
export type SessionSource = Pick<TokenBrokerClient, 'snapshot' | 'on'>;

// A context object is inert data: creating it registers nothing.
const BrokerContext = createContext<TokenBrokerClient | null>(null);

/** Props of `TokenBrokerProvider`. */
export interface TokenBrokerProviderProps {
  /** The client, or null while `registerTokenBroker()` is still under way (the session then reads `loading`). */
  broker: TokenBrokerClient | null;
  children?: ReactNode;
}

/**
 * Makes `broker` the default of `useSession()` and `useTokenBroker()` below it.
 *
 * @example
 * const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
 * createRoot(root).render(<TokenBrokerProvider broker={broker}><App /></TokenBrokerProvider>);
 */
export function TokenBrokerProvider({ broker, children }: TokenBrokerProviderProps): ReactNode {
  return createElement(BrokerContext.Provider, { value: broker }, children);
}

/** The client of the nearest `TokenBrokerProvider`, or null (none, or not registered yet). */
export function useTokenBroker(): TokenBrokerClient | null {
  return useContext(BrokerContext);
}

const noop = (): void => undefined;

/**
 * The session snapshot, re-rendering on every `change` (login, refresh, logout, in any tab).
 * Reads the provider's client unless one is passed; `loading` while there is none, and during
 * server rendering.
 *
 * @example
 * const { status, sub, claims } = useSession();
 * if (status === 'loading') return <Spinner />;
 * return status === 'authenticated' ? <p>Hello {claims?.name ?? sub}</p> : <Login />;
 */
export function useSession(broker?: SessionSource | null): SessionSnapshot {
  const provided = useContext(BrokerContext);
  const source = broker === undefined ? provided : broker;
  const subscribe = useCallback(
    (onChange: () => void) => (source ? source.on('change', onChange) : noop),
    [source],
  );
  const read = (): SessionSnapshot => source?.snapshot() ?? LOADING;
  return useSyncExternalStore(subscribe, read, () => LOADING);
}
