import {
  inject,
  shallowReadonly,
  shallowRef,
  toValue,
  watch,
  type InjectionKey,
  type MaybeRefOrGetter,
  type Plugin,
  type ShallowRef,
} from 'vue';
import type { TokenBrokerClient } from './client.js';
import { LOADING, type SessionSnapshot } from './snapshot.js';

/** What the bindings need of a client: its snapshot and its `change` event. */
export type SessionSource = Pick<TokenBrokerClient, 'snapshot' | 'on'>;

/** The injection key under which `tokenBrokerPlugin` provides the client. */
export const TOKEN_BROKER_KEY: InjectionKey<MaybeRefOrGetter<TokenBrokerClient | null>> =
  Symbol('sw-token-broker');

/**
 * Provides the client to every component of the app (`useSession()`, `useTokenBroker()`).
 * Pass a ref while `registerTokenBroker()` is still under way.
 *
 * @example
 * createApp(App).use(tokenBrokerPlugin(await registerTokenBroker())).mount('#app');
 */
export function tokenBrokerPlugin(broker: MaybeRefOrGetter<TokenBrokerClient | null>): Plugin {
  return { install: (app) => void app.provide(TOKEN_BROKER_KEY, broker) };
}

/** The client the plugin provided, or null (none, or not registered yet). Call it in `setup`. */
export function useTokenBroker(): TokenBrokerClient | null {
  return toValue(inject(TOKEN_BROKER_KEY, null));
}

/**
 * The session snapshot as a read-only ref, replaced on every `change` (login, refresh, logout,
 * in any tab). Reads the provided client unless one is passed (a client, a ref or a getter);
 * `loading` while there is none. Call it in `setup` (or an `effectScope`): it unsubscribes
 * when the component unmounts.
 *
 * @example
 * const session = useSession();
 * // <p v-if="session.status === 'authenticated'">Hello {{ session.claims?.name }}</p>
 */
export function useSession(
  broker?: MaybeRefOrGetter<SessionSource | null>,
): Readonly<ShallowRef<SessionSnapshot>> {
  const source = broker === undefined ? inject(TOKEN_BROKER_KEY, null) : broker;
  const snapshot = shallowRef<SessionSnapshot>(LOADING);
  watch(
    () => toValue(source),
    (client, _previous, onCleanup) => {
      snapshot.value = client?.snapshot() ?? LOADING;
      if (!client) return;
      onCleanup(
        client.on('change', (next) => {
          snapshot.value = next;
        }),
      );
    },
    { immediate: true },
  );
  return shallowReadonly(snapshot);
}
