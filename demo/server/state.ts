import { CounterBook } from './counters.js';
import { RefreshFaults } from './faults.js';
import { createJwtSigner, type JwtSigner } from './jwt.js';
import { Lifetime } from './lifetime.js';
import { TokenStore } from './token-store.js';
import type { ServerOptions } from './types.js';

/** Everything one server instance knows; routes and the test control share this object. */
export interface ServerState {
  readonly config: { accessTtlSeconds: number; reuseGraceSeconds: number };
  readonly testControl: boolean;
  readonly staticDir: string | undefined;
  readonly swScript: string | undefined;
  offline: boolean;
  readonly store: TokenStore;
  readonly counters: CounterBook;
  readonly faults: RefreshFaults;
  readonly jwt: JwtSigner;
  readonly lifetime: Lifetime;
}

export function createState(options: ServerOptions): ServerState {
  const counters = new CounterBook();
  return {
    config: {
      accessTtlSeconds: checkSeconds(options.accessTtlSeconds ?? 60, 'accessTtlSeconds', false),
      reuseGraceSeconds: checkSeconds(options.reuseGraceSeconds ?? 0, 'reuseGraceSeconds', true),
    },
    testControl: options.testControl ?? false,
    staticDir: options.staticDir,
    swScript: options.swScript,
    offline: false,
    store: new TokenStore(() => counters.bump('revocations')),
    counters,
    faults: new RefreshFaults(),
    jwt: createJwtSigner(),
    lifetime: new Lifetime(),
  };
}

export function checkSeconds(value: unknown, name: string, zeroAllowed: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (zeroAllowed ? value >= 0 : value > 0);
  if (!ok) throw new TypeError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number`);
  return value;
}
