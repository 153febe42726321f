import { isBroadcastMessage } from '../shared/broadcast-guard.js';
import { brokerNames } from '../shared/names.js';
import type { BroadcastMessage } from '../shared/protocol.js';

/** Reaches every tab of the origin, controlled or not, and other worker versions. */
export interface Broadcaster {
  post(message: BroadcastMessage): void;
  /** Messages from other contexts (a BroadcastChannel never echoes its own). Returns an unsubscribe. */
  listen(handler: (message: BroadcastMessage) => void): () => void;
}

/** The broker's channel; `name` comes from `brokerNames(...).channel`. */
export function createBroadcaster(name: string = brokerNames().channel): Broadcaster {
  let channel: BroadcastChannel | undefined;
  const get = (): BroadcastChannel => (channel ??= new BroadcastChannel(name));
  return {
    post(message) {
      get().postMessage(message);
    },
    listen(handler) {
      const ch = get();
      // Anything on the origin can post here: act only on well-formed broker messages.
      const onMessage = (event: MessageEvent): void => {
        if (isBroadcastMessage(event.data)) handler(event.data);
      };
      ch.addEventListener('message', onMessage);
      return () => ch.removeEventListener('message', onMessage);
    },
  };
}
