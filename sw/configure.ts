import type { DeclarativeConfig } from '../shared/config.js';
import type { BrokerState } from './broker-state.js';
import { adoptPageConfig, oneAtATime } from './config-owner.js';
import { declarativePart, resolveConfig, safeResolve } from './settings.js';

/**
 * Standalone worker: adopts and persists the declarative config a page sent (config-owner.ts
 * decides whether it may), one page at a time, and resolves with `then()` once it is in force.
 */
export function configureFromPage<T>(
  state: BrokerState,
  config: DeclarativeConfig,
  then: () => T,
): Promise<T> {
  const { origin, limits, store } = state.deps;
  // Checked as sent, before JSON would turn NaN and Infinity into null.
  const resolved = resolveConfig(config, origin, limits);
  const plain = declarativePart(config);
  return oneAtATime(state, async () => {
    const { replacedBy } = await adoptPageConfig(
      store,
      { plain, resolved },
      (saved) => safeResolve(saved, origin, limits),
      state.session !== null,
    );
    state.config = resolved;
    // Tabs still on the replaced config re-send theirs on this and learn they lost (config-owner.ts).
    if (replacedBy !== null)
      state.post({
        type: 'error',
        error: {
          code: 'config-conflict',
          message: `the worker's config was replaced by configVersion ${replacedBy}`,
        },
      });
    return then();
  });
}
