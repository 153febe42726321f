import { checkSeconds, type ServerState } from './state.js';
import type { TestControl } from './types.js';

export const REVOKE_ALL_REASON = 'revoke-all';

/** The test control over one server's state; the `/__test/*` routes call the same object. */
export function createTestControl(state: ServerState): TestControl {
  return {
    counters: () => state.counters.snapshot(state.store.families()),
    reset: () => state.counters.reset(),
    injectRefreshFaults: (faults) => state.faults.inject(faults),
    setRefreshLatency: (latency) => state.faults.setLatency(latency),
    configure(config) {
      // Check both before changing either, so a bad call changes nothing.
      const ttl =
        config.accessTtlSeconds === undefined
          ? state.config.accessTtlSeconds
          : checkSeconds(config.accessTtlSeconds, 'accessTtlSeconds', false);
      const grace =
        config.reuseGraceSeconds === undefined
          ? state.config.reuseGraceSeconds
          : checkSeconds(config.reuseGraceSeconds, 'reuseGraceSeconds', true);
      state.config.accessTtlSeconds = ttl;
      state.config.reuseGraceSeconds = grace;
    },
    revokeAll: (reason = REVOKE_ALL_REASON) => state.store.revokeAll(reason),
    setOffline(offline) {
      state.offline = offline;
    },
  };
}
