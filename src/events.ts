import type { TokenBrokerError } from '../shared/errors.js';
import type { LogoutReason, RefreshTrigger } from '../shared/protocol.js';

/** Events a `TokenBrokerClient` emits, with their payloads. */
export interface TokenBrokerEvents {
  /** The session ended in this or another tab. */
  logout: { reason: LogoutReason };
  /** The worker stored a rotated token. */
  refreshed: { generation: number; expiresIn: number; trigger: RefreshTrigger };
  /** A session was stored after a login (in any tab). */
  session: { generation: number; expiresIn: number };
  /** A refresh failed without ending the session, or the worker could not be reached. */
  error: { error: TokenBrokerError };
  /** Whether a service worker controls this page; a new subscriber first gets the current state. */
  control: { controlled: boolean };
}

export type EventName = keyof TokenBrokerEvents;
export type Handler<E extends EventName> = (payload: TokenBrokerEvents[E]) => void;

/** A minimal typed emitter; a throwing handler does not stop the others. */
export class Emitter {
  private readonly handlers = new Map<EventName, Set<Handler<never>>>();

  on<E extends EventName>(event: E, handler: Handler<E>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler<never>);
    return () => void set.delete(handler as Handler<never>);
  }

  emit<E extends EventName>(event: E, payload: TokenBrokerEvents[E]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as Handler<E>)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}
