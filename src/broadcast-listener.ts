// What every tab hears from the worker on the broker's BroadcastChannel: session changes, logouts
// and errors, turned into the client's events and its session snapshot.
import { isBroadcastMessage } from '../shared/broadcast-guard.js';
import { fromSerializedError, type TokenBrokerErrorCode } from '../shared/errors.js';
import type { Emitter } from './events.js';
import type { SnapshotStore } from './snapshot.js';

/**
 * Listens where BroadcastChannel exists; returns the function that stops listening.
 * `ownError` says whether the config keeper handled an error (a lost config it restores);
 * `changed` runs after each new session or refresh (the client plans its next wake-up).
 */
export function listenForBroadcasts(
  channelName: string,
  emitter: Emitter,
  session: SnapshotStore,
  ownError: (code: TokenBrokerErrorCode) => boolean,
  changed: () => void,
): () => void {
  if (typeof BroadcastChannel !== 'function') return () => undefined;
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = ({ data }: MessageEvent<unknown>) => {
    // Anything on the origin can post here: act only on well-formed broker messages.
    if (!isBroadcastMessage(data)) return;
    if (data.type === 'error' && ownError(data.error.code)) return;
    const { type, ...payload } = data;
    session.fromBroadcast(data);
    // The wire shape carries no `name`, so the error is rebuilt from its code.
    if (data.type === 'error') emitter.emit('error', { error: fromSerializedError(data.error) });
    else emitter.emit(type, payload as never);
    if (type === 'refreshed' || type === 'session') changed();
  };
  return () => channel.close();
}
