// Hand-overs between worker versions under traffic, as the server saw them: which requests a
// hand-over may cost, and nothing else (docs/platform-facts.md §19).
import { expect, test, type TestServer } from '../fixtures.js';
import { apiRequests } from './server-counters.js';
import type { StormResult } from './traffic.js';

/** A hand-over's stretch of the server's request log, [from, to): from the deploy to every tab controlled. */
export interface HandOver {
  from: number;
  to: number;
}

export const logLength = (server: TestServer): number => server.control.counters().requests.length;

/**
 * The busy requests' failures, all accounted for. The only failure a hand-over may cost is a 401
 * for a request Firefox sent around both workers as the page made it, because it arrived the
 * moment the new version activated (docs/platform-facts.md §19): the server saw each of those
 * without a token, inside a hand-over. A request without a token at any other moment or in
 * another engine, or a failure the server cannot account for (a 503, a `session-changed` 401 the
 * worker made up, a network error), fails the test.
 */
export function expectFailuresAccounted(
  results: StormResult[],
  server: TestServer,
  handOvers: HandOver[],
  browserName: string,
  { trail }: { trail: string },
): void {
  const log = server.control.counters().requests;
  const api = new Set(apiRequests({ ...server.control.counters(), requests: log }));
  const inHandOver = (i: number): boolean => handOvers.some((h) => i >= h.from && i < h.to);
  const withoutToken = log.flatMap((r, i) => (api.has(r) && !r.authorization ? [i] : []));
  const around = withoutToken.filter(
    (i) => inHandOver(i) && browserName === 'firefox' && log[i]!.status === 401,
  );
  expect(
    withoutToken.filter((i) => !around.includes(i)).map((i) => `${log[i]!.path} answered ${log[i]!.status}`),
    `API requests without a token that no hand-over accounts for; ${trail}`,
  ).toEqual([]);
  const errors = results.flatMap((r) => r.errors);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  for (const error of errors) expect(error, `busy requests that failed; ${trail}`).toMatch(/\b401\b/);
  expect(failed, `busy requests that failed (${errors.join('; ')}); ${trail}`).toBeLessThanOrEqual(
    around.length,
  );
  if (around.length > 0)
    test.info().annotations.push({
      type: 'sent around the workers',
      description: `${around.length} request(s) at a hand-over, ${failed} failed (docs/platform-facts.md §19)`,
    });
}
