import type { SessionClaims } from '../shared/identity.js';
import type { BroadcastMessage, BrokerStatus } from '../shared/protocol.js';
import { isTokenBrokerError } from '../shared/errors.js';

/** Where the session stands, as a page renders it. */
export type SessionStatus = 'loading' | 'authenticated' | 'unauthenticated';

/**
 * The session as this tab knows it, read synchronously with `snapshot()`. A new object exactly
 * when something in it changed (so it can feed React's `useSyncExternalStore`), frozen, and
 * free of token material.
 */
export interface SessionSnapshot {
  /** `loading` until the worker first answered (or turned out to be unavailable). */
  readonly status: SessionStatus;
  /** The access token's `sub`; null when logged out or the token carries none. */
  readonly sub: string | null;
  /** The access token's exposed claims (see the README); null when logged out or not known yet. */
  readonly claims: Readonly<SessionClaims> | null;
  /** Increments with every stored token set (login, refresh); 0 when logged out. */
  readonly generation: number;
  /** When the access token expires, as epoch ms of this page's clock; null when unknown. */
  readonly expiresAt: number | null;
}

export const LOADING: SessionSnapshot = Object.freeze({
  status: 'loading',
  sub: null,
  claims: null,
  generation: 0,
  expiresAt: null,
});

const LOGGED_OUT: SessionSnapshot = Object.freeze({ ...LOADING, status: 'unauthenticated' });

/** Codes after which no answer will come: the snapshot stops saying `loading`. */
const NO_WORKER = new Set(['worker-unavailable', 'protocol-mismatch', 'destroyed']);

export interface SnapshotStore {
  get(): SessionSnapshot;
  /** A broadcast of the worker: the newest word on the session, applied at once. */
  fromBroadcast(message: BroadcastMessage): void;
  /** Applies the status a call answers, unless a broadcast arrived while it was under way (it would be older). */
  track<T extends BrokerStatus>(call: Promise<T>): Promise<T>;
  /** No worker will answer this page. */
  unavailable(): void;
}

type Known = Pick<BrokerStatus, 'generation' | 'expiresIn' | 'identity'> & { loggedIn: boolean };

/**
 * Keeps one tab's snapshot. Invariants:
 * - broadcasts win: a call's answer started before the latest broadcast is dropped, so a slow
 *   `status` cannot bring back a session another tab just ended;
 * - `onChange` runs once per new snapshot, never for an answer that changes nothing;
 * - the expiry moves only with the token (a new generation), never with the call's timing.
 */
export function createSnapshotStore(
  onChange: (snapshot: SessionSnapshot) => void,
  now: () => number = Date.now,
): SnapshotStore {
  let current = LOADING;
  let broadcasts = 0;

  const set = (next: SessionSnapshot): void => {
    if (
      next.status === current.status &&
      next.generation === current.generation &&
      next.sub === current.sub &&
      JSON.stringify(next.claims) === JSON.stringify(current.claims)
    )
      return;
    current = Object.freeze(next);
    onChange(current);
  };

  const apply = ({ loggedIn, generation, expiresIn, identity }: Known): void => {
    if (!loggedIn) {
      set(LOGGED_OUT);
      return;
    }
    // Generations restart at 1 after a logout: a tab that missed one must not keep the old user.
    const sameToken =
      current.status === 'authenticated' &&
      current.generation === generation &&
      (identity?.sub ?? current.sub) === current.sub;
    // An older worker announces no identity: keep what is known of this token until a status brings it.
    const known = identity === undefined && sameToken ? current : null;
    set({
      status: 'authenticated',
      sub: identity === undefined ? (known?.sub ?? null) : (identity?.sub ?? null),
      claims: identity === undefined ? (known?.claims ?? null) : Object.freeze({ ...identity?.claims }),
      generation,
      expiresAt: sameToken ? current.expiresAt : expiresIn === null ? null : now() + expiresIn,
    });
  };

  return {
    get: () => current,
    fromBroadcast(message) {
      if (message.type === 'error') return;
      broadcasts++;
      if (message.type === 'logout') apply({ loggedIn: false, generation: 0, expiresIn: null });
      else apply({ loggedIn: true, ...message });
    },
    track(call) {
      const seen = broadcasts;
      return call.then(
        (status) => {
          if (seen === broadcasts) apply(status);
          return status;
        },
        (error: unknown) => {
          if (current.status === 'loading' && isTokenBrokerError(error) && NO_WORKER.has(error.code))
            set(LOGGED_OUT);
          throw error;
        },
      );
    },
    unavailable: () => {
      if (current.status === 'loading') set(LOGGED_OUT);
    },
  };
}
