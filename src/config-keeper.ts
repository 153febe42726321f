import type { DeclarativeConfig } from '../shared/config.js';
import {
  isTokenBrokerError,
  toTokenBrokerError,
  type TokenBrokerError,
  type TokenBrokerErrorCode,
} from '../shared/errors.js';
import type { BrokerStatus } from '../shared/protocol.js';

/** Broadcast error codes that ask every tab to send its config again. */
const REASSERT_CODES: ReadonlySet<TokenBrokerErrorCode> = new Set(['not-configured', 'config-conflict']);

export interface ConfigKeeper {
  /** Runs one worker call; if the worker lost its config, sends it again and retries once. */
  run<T>(attempt: () => Promise<T>): Promise<T>;
  /** Handles a worker broadcast error that concerns the config; true when it did (no `error` event). */
  onBroadcastError(code: TokenBrokerErrorCode): boolean;
}

/**
 * Keeps the standalone worker configured with this page's config for the page's lifetime.
 * A worker whose storage was cleared or deleted restarts without a config; it then answers
 * `not-configured`, reports `configured: false`, or broadcasts `not-configured` when a request
 * reaches it. Each is a cue to send the config again, without a reload. When the worker replaces
 * its config with a newer version it broadcasts `config-conflict`; re-sending tells this tab
 * whether its own config lost, and `onLost` reports that as an `error` event.
 */
export function createConfigKeeper(
  config: DeclarativeConfig | undefined,
  configure: (config: DeclarativeConfig) => Promise<BrokerStatus>,
  onLost: (error: TokenBrokerError) => void,
): ConfigKeeper {
  let sending: Promise<BrokerStatus> | undefined;
  // One configure in flight at a time, however many cues arrive together.
  const send = (own: DeclarativeConfig): Promise<BrokerStatus> =>
    (sending ??= configure(own).finally(() => {
      sending = undefined;
    }));
  const reassert = (own: DeclarativeConfig): void => {
    send(own).catch((error: unknown) => onLost(toTokenBrokerError(error)));
  };

  return {
    async run<T>(attempt: () => Promise<T>): Promise<T> {
      if (!config) return attempt();
      let value: T;
      try {
        value = await attempt();
      } catch (error) {
        if (!isTokenBrokerError(error, 'not-configured')) throw error;
        await send(config);
        return attempt();
      }
      if ((value as Partial<BrokerStatus> | null)?.configured === false) reassert(config);
      return value;
    },
    onBroadcastError(code) {
      if (!config || !REASSERT_CODES.has(code)) return false;
      reassert(config);
      return true;
    },
  };
}
