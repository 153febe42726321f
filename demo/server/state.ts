import { CounterBook } from './counters.js';
import { RefreshFaults } from './faults.js';
import { createJwtSigner, type JwtSigner } from './jwt.js';
import { Ledger } from './ledger.js';
import { Lifetime } from './lifetime.js';
import { TokenStore } from './token-store.js';
import type { ServerOptions } from './types.js';

/** Everything one server instance knows; routes and the test control share this object. */
export interface ServerState {
  readonly config: { accessTtlSeconds: number; reuseGraceSeconds: number };
  readonly testControl: boolean;
  /** The demo page's lab (timeline, counters, race, fault toggles) and the classic interceptor's routes. */
  readonly demoMode: boolean;
  readonly demo: DemoSettings;
  readonly staticDir: string | undefined;
  readonly swScript: string | undefined;
  offline: boolean;
  readonly store: TokenStore;
  readonly counters: CounterBook;
  readonly faults: RefreshFaults;
  readonly jwt: JwtSigner;
  readonly lifetime: Lifetime;
  readonly ledger: Ledger;
  /** Test only: `/api/upload?reject=<id>` ids already answered 401 once. */
  readonly rejectedUploads: Set<string>;
}

/** What the demo mode's toggles set; all off by default. */
export interface DemoSettings {
  /** Access tokens issued before this moment (ms since epoch) are answered 401, as if expired. */
  accessNotBefore: number;
  /** Every refresh call answers 500 until switched off. */
  refresh500: boolean;
  /** Extra delay of every refresh call, in ms. */
  slowRefreshMs: number;
  /** Until this moment, refresh calls are delayed by `raceLatencyMs` (a mobile network's round trip). */
  raceLatencyUntil: number;
  raceLatencyMs: number;
}

export function createState(options: ServerOptions): ServerState {
  const counters = new CounterBook();
  const ledger = new Ledger();
  const demoMode = options.demoMode ?? false;
  return {
    config: {
      accessTtlSeconds: checkSeconds(options.accessTtlSeconds ?? 60, 'accessTtlSeconds', false),
      reuseGraceSeconds: checkSeconds(options.reuseGraceSeconds ?? 0, 'reuseGraceSeconds', true),
    },
    testControl: options.testControl ?? false,
    demoMode,
    demo: { accessNotBefore: 0, refresh500: false, slowRefreshMs: 0, raceLatencyUntil: 0, raceLatencyMs: 0 },
    staticDir: options.staticDir,
    swScript: options.swScript,
    offline: false,
    store: new TokenStore((family) => {
      counters.bump('revocations');
      if (demoMode)
        ledger.add({ kind: 'revoked', at: Date.now(), family: family.id, reason: family.reason ?? '' });
    }),
    counters,
    faults: new RefreshFaults(),
    jwt: createJwtSigner(),
    lifetime: new Lifetime(),
    ledger,
    rejectedUploads: new Set(),
  };
}

export function checkSeconds(value: unknown, name: string, zeroAllowed: boolean): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (zeroAllowed ? value >= 0 : value > 0);
  if (!ok) throw new TypeError(`${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number`);
  return value;
}
