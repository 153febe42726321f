// What `GET /__demo/stats` answers (demo mode only). Shared by the demo server and the lab page;
// plain data, no token material.

export type Side = 'broker' | 'classic';
export type RefreshOutcome = 'rotated' | 'grace' | 'reuse' | 'invalid' | 'fault';

/** One access-token lifetime: a family's generation, from its issue to its end. */
export interface LifetimeStats {
  family: string;
  generation: number;
  from: number;
  /** When the next generation was issued or the family revoked; null while current. */
  until: number | null;
  /** Refresh calls that presented this lifetime's refresh token. One is the goal. */
  refreshCalls: number;
  revoked: string | null;
}

export type MarkKind = 'login' | 'refresh' | '401' | 'replay' | 'revoked';

/** A point on the timeline. `tab` is the tab's label, or null when no tab can be named (the worker's own timer). */
export interface Mark {
  at: number;
  kind: MarkKind;
  tab: string | null;
  /** Refresh marks: proactive, unauthorized (a 401) or explicit; null when unknown. */
  trigger: string | null;
  outcome: RefreshOutcome | null;
  /** The family's generation the mark concerns (the token presented, or the one that ended). */
  generation: number | null;
  family: string | null;
}

export interface SideStats {
  refreshCalls: number;
  rotations: number;
  reuseDetections: number;
  revokedFamilies: number;
  requestsWithToken: number;
  requestsWithoutToken: number;
  unauthorized: number;
  replays: number;
  /** The side's latest family (login), or null. */
  family: string | null;
  lifetimes: LifetimeStats[];
  marks: Mark[];
}

export interface Period {
  from: number;
  /** Null while it lasts. */
  until: number | null;
  /** Server outages have no tab; a browser's offline period names the tab that reported it. */
  tab: string | null;
}

export interface DemoStats {
  now: number;
  accessTtlSeconds: number;
  toggles: { refresh500: boolean; slowRefresh: boolean; outage: boolean };
  sides: Record<Side, SideStats>;
  outages: Period[];
  offline: Period[];
}
