import type { BroadcastMessage } from '../../shared/protocol.js';
import { createEmitter } from '../../src/events.js';
import { createSnapshotStore } from '../../src/snapshot.js';
import type { SessionSource } from '../../src/react.js';

/** A client's snapshot half, fed by hand with the broadcasts a worker would send. */
export function fakeSessionSource(): SessionSource & {
  broadcast(message: BroadcastMessage): void;
  listeners(): number;
} {
  const emitter = createEmitter();
  const store = createSnapshotStore((snapshot) => emitter.emit('change', snapshot));
  let listeners = 0;
  return {
    snapshot: store.get,
    on(event, handler) {
      listeners++;
      const off = emitter.on(event, handler);
      return () => {
        listeners--;
        off();
      };
    },
    broadcast: store.fromBroadcast,
    listeners: () => listeners,
  };
}

export const ADA = { sub: 'ada', claims: { sub: 'ada', name: 'Ada Lovelace' } };
