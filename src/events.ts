import type { TokenBrokerError } from '../shared/errors.js';
import type { LogoutReason, RefreshTrigger } from '../shared/protocol.js';
import type { SessionSnapshot } from './snapshot.js';

/** Events a `TokenBrokerClient` emits, with their payloads. */
export interface TokenBrokerEvents {
  /** The session ended in this or another tab. */
  logout: { reason: LogoutReason };
  /** The worker stored a rotated token. */
  refreshed: { generation: number; expiresIn: number; trigger: RefreshTrigger };
  /** A session was stored after a login (in any tab). */
  session: { generation: number; expiresIn: number };
  /**
   * A refresh failed without ending the session, or the worker could not be reached. A
   * `reload-required` found at startup is told to each subscriber once, whenever it subscribed.
   */
  error: { error: TokenBrokerError };
  /** Whether a service worker controls this page; a new subscriber first gets the current state. */
  control: { controlled: boolean };
  /** A new worker version is installed and waits; `applyUpdate()` lets it take over. A new subscriber hears of one already waiting. */
  'update-waiting': Record<string, never>;
  /**
   * A new version asked to take over (the prebuilt `sw.js`, or `applyUpdate()`) still waits after
   * 5 s: the old worker has had no quiet moment. Pause your requests briefly (see the README's
   * updates section); `waitingMs` is how long it has waited.
   */
  'update-stalled': { waitingMs: number };
  /** The session snapshot changed (login, refresh, logout, in any tab, or the first answer): the payload is the new `snapshot()`. */
  change: SessionSnapshot;
}

export type EventName = keyof TokenBrokerEvents;
/** A listener of event `E`. */
export type Handler<E extends EventName> = (payload: TokenBrokerEvents[E]) => void;

export interface Emitter {
  on<E extends EventName>(event: E, handler: Handler<E>): () => void;
  emit<E extends EventName>(event: E, payload: TokenBrokerEvents[E]): void;
  clear(): void;
}

/** A minimal typed emitter; a throwing handler does not stop the others. */
export function createEmitter(): Emitter {
  const handlers = new Map<EventName, Set<Handler<never>>>();
  return {
    on(event, handler) {
      let set = handlers.get(event);
      if (!set) {
        set = new Set();
        handlers.set(event, set);
      }
      set.add(handler as Handler<never>);
      return () => void set.delete(handler as Handler<never>);
    },
    emit(event, payload) {
      for (const handler of handlers.get(event) ?? []) {
        try {
          (handler as Handler<typeof event>)(payload);
        } catch (error) {
          // Report a handler's bug without letting it stop the other handlers.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    clear: () => handlers.clear(),
  };
}
