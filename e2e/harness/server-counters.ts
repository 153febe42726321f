// Reading what the demo server counted: the one token family, API requests, the moments each
// generation appeared, and the summaries the refresh scenarios assert on. The server runs in the
// test process, so every read is direct.
import type { Counters, FamilyCounters, RequestRecord } from '../../demo/server/index.js';
import type { TestServer } from '../fixtures.js';

/** The one token family the server knows (the scenarios log in once). */
export function onlyFamily(counters: Counters): FamilyCounters {
  const families = Object.values(counters.families);
  const [family, ...others] = families;
  if (!family || others.length > 0)
    throw new Error(`expected one token family, the server knows ${families.length}`);
  return family;
}

/** Requests to the app's API, i.e. not to the auth endpoints, the test control or static files. */
export function apiRequests(counters: Counters, path?: string): RequestRecord[] {
  return counters.requests.filter((r) =>
    path ? r.path === path : r.path.startsWith('/api/') && !r.path.startsWith('/api/auth/'),
  );
}

/** When the test process first saw a family generation, bracketed by the poll before it. */
export interface GenerationSeen {
  generation: number;
  /** The server issued the generation after this (the previous poll had not seen it). */
  after: number;
  /** ... and at or before this. */
  by: number;
}

/**
 * Polls the in-process server every `intervalMs` and records when each generation of the one
 * token family appeared. The server runs in the test process, so each poll is a direct read;
 * the bracket [after, by] bounds the moment the server minted the generation, without
 * trusting any timer in the browser.
 */
export function watchGenerations(server: TestServer, intervalMs = 20) {
  const seen: GenerationSeen[] = [];
  let last = 0;
  let previousPoll = Date.now();
  const poll = (): void => {
    const now = Date.now();
    const families = Object.values(server.control.counters().families);
    const generation = families.length === 1 ? (families[0]?.generation ?? 0) : 0;
    for (let g = last + 1; g <= generation; g++) seen.push({ generation: g, after: previousPoll, by: now });
    last = Math.max(last, generation);
    previousPoll = now;
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    seen,
    stop(): GenerationSeen[] {
      clearInterval(timer);
      poll();
      return seen;
    },
  };
}

/**
 * Checks the refresh timing the server implies: every generation after the first was minted
 * provably before its predecessor's access token expired (`ttlMs` after it was minted), and not
 * provably before the predecessor's refresh was due (`ttlMs − leadMs` after it, less
 * `toleranceMs`). Returns one line per violation, empty when all is well.
 */
export function refreshTimingViolations(
  seen: GenerationSeen[],
  ttlMs: number,
  leadMs: number,
  toleranceMs = 250,
): string[] {
  const problems: string[] = [];
  for (let i = 1; i < seen.length; i++) {
    const prev = seen[i - 1];
    const next = seen[i];
    if (!prev || !next) continue;
    // Latest possible mint time of `next` vs earliest possible expiry of `prev`.
    if (next.by >= prev.after + ttlMs) {
      problems.push(
        `generation ${next.generation} minted up to ${next.by - (prev.after + ttlMs)} ms after generation ${prev.generation} expired (poll gaps ${prev.by - prev.after} and ${next.by - next.after} ms)`,
      );
    }
    // Latest possible mint time of `next` vs earliest possible due time of `prev`: only a
    // refresh that was certainly early counts.
    if (next.by < prev.after + ttlMs - leadMs - toleranceMs) {
      problems.push(
        `generation ${next.generation} minted ${prev.after + ttlMs - leadMs - next.by} ms before generation ${prev.generation} was due`,
      );
    }
  }
  return problems;
}

/** The counts a refresh scenario asserts on, in one object so a failure shows all of them. */
export function refreshSummary(counters: Counters) {
  const family = onlyFamily(counters);
  return {
    generation: family.generation,
    refreshCalls: counters.refreshCalls,
    rotations: counters.rotations,
    reuseDetections: counters.reuseDetections,
    graceReuses: counters.graceReuses,
    invalidGrants: counters.invalidGrants,
    unauthorized: counters.unauthorized,
    revoked: family.revoked,
  };
}

/** The {@link refreshSummary} of a clean run: one rotation per lifetime and nothing else. */
export function oneRefreshPerLifetime(lifetimes: number): ReturnType<typeof refreshSummary> {
  return {
    generation: 1 + lifetimes,
    refreshCalls: lifetimes,
    rotations: lifetimes,
    reuseDetections: 0,
    graceReuses: 0,
    invalidGrants: 0,
    unauthorized: 0,
    revoked: false,
  };
}

/**
 * The server's request log in short form, for failure messages: `R` a refresh call, `.` an
 * authorized 200, and `401(g1)` / `401(-)` a rejected API request with the generation its
 * token had when valid (or `-` for an expired or unknown one). Runs of `.` are counted.
 */
export function requestTrail(counters: Counters): string {
  const parts: string[] = [];
  let ok = 0;
  const flush = (): void => {
    if (ok) parts.push(`.×${ok}`);
    ok = 0;
  };
  for (const r of counters.requests) {
    if (r.path === '/api/auth/refresh') {
      flush();
      parts.push(`R${r.status}`);
    } else if (r.path.startsWith('/api/') && !r.path.startsWith('/api/auth/')) {
      if (r.status === 200 && r.authorization) ok++;
      else {
        flush();
        parts.push(`${r.status}(${r.authorization ? `g${r.generation ?? '-'}` : 'no auth'})`);
      }
    }
  }
  flush();
  return parts.join(' ');
}

/**
 * Counters read when no refresh call is mid-flight. The server counts a refresh call when it
 * arrives and its outcome (rotation, grace, reuse, invalid grant) only after its latency, so a
 * read in between sees one call more than outcomes: a proactive timer can be out at any moment.
 * Polls (bounded by `timeoutMs`) until every call has an outcome; a real double send keeps its
 * reuse detection or extra call, so this never hides one. Not for specs that inject faults.
 */
export async function settledCounters(server: TestServer, timeoutMs = 5000): Promise<Counters> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const counters = server.control.counters();
    const outcomes =
      counters.rotations + counters.graceReuses + counters.reuseDetections + counters.invalidGrants;
    if (counters.refreshCalls === outcomes || Date.now() >= end) return counters;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
