/**
 * Path rules shared by the worker (sw/scope.ts) and the page's copy (src/scope.ts), so both
 * decide every request alike.
 *
 * A server does not route on the raw path: it decodes `%70` to `p`, collapses `//`, may strip
 * `;params` from a segment (Tomcat, Jetty: `..;/` is `..`), may decode `%2F` and `%5C` into
 * separators or decode twice. The token must never reach an excluded path under any of those
 * readings, so a path is read every way a server might read it, and:
 * - it is excluded (or is a broker endpoint) when ANY reading is, compared case-insensitively;
 * - it gets the token only when EVERY reading lies under an API prefix, compared exactly.
 * When in doubt, no token.
 */

/** True when `path` is `prefix` itself or lies below it on a `/` boundary (`/api` never matches `/apix`). */
export function matchesPathPrefix(path: string, prefix: string): boolean {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(`${base}/`);
}

const PERCENT = /%([0-9A-Fa-f]{2})/g;

/** `%70` becomes `p` (RFC 3986 §6.2.2.2); `all` decodes every ASCII escape (`%2F` too). Other escapes get upper-case hex. */
const decode = (text: string, all: boolean): string =>
  text.replace(PERCENT, (_, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return (all ? char < '\x80' : /[\w.~-]/.test(char)) ? char : `%${hex.toUpperCase()}`;
  });

/** One reading: bit 1 strips `;params`, bit 2 decodes reserved escapes (three rounds, `\` as `/`). */
function normalise(path: string, reading: number): string {
  if (reading & 2) for (let round = 0; round < 3; round++) path = decode(path, true).replace(/\\/g, '/');
  const out: string[] = [];
  let directory = false;
  for (const raw of path.split('/').slice(1)) {
    const segment = decode(reading & 1 ? raw.split(';')[0]! : raw, false);
    directory = segment === '' || segment === '.' || segment === '..';
    if (segment === '..') out.pop();
    else if (!directory) out.push(segment);
  }
  return out.length ? `/${out.join('/')}${directory ? '/' : ''}` : '/';
}

/** Every distinct path a server might route `pathname` (a parsed URL's) to; the first is the normal form. */
export function pathReadings(pathname: string): string[] {
  // The hot path: without escapes, params or empty segments a parsed path has one reading, itself.
  if (!/[%;\\]|\/\/|\/\.\.?(\/|$)/.test(pathname) && pathname !== '') return [pathname];
  return [...new Set([0, 1, 2, 3].map((r) => normalise(pathname, r)))];
}

/** The normal form of a path: unreserved escapes decoded, `//` collapsed, dot segments resolved. */
export function normalisePath(pathname: string): string {
  return normalise(pathname, 0);
}

// Endpoints are compared loosely: a server may ignore case and a trailing slash.
const loose = (path: string): string => path.replace(/(.)\/$/, '$1').toLowerCase();

/** What decides whether a path on a trusted origin gets the token. */
export interface PathRule {
  apiPaths: readonly string[];
  excludePaths: readonly string[];
  /** Paths of the broker's own endpoints on this origin (token, login, revocation). */
  endpoints: readonly string[];
}

/** True when any reading of `pathname` is one of `endpoints` (case and a trailing `/` ignored). */
export function isEndpointPath(
  pathname: string,
  endpoints: readonly string[],
  readings = pathReadings(pathname),
): boolean {
  return readings.some((r) => endpoints.some((e) => loose(e) === loose(r)));
}

/** The token rule for a path on a trusted origin (see the top of this file). */
export function isTokenPath(pathname: string, rule: PathRule): boolean {
  const readings = pathReadings(pathname);
  return (
    !readings.some((r) =>
      rule.excludePaths.some((p) => matchesPathPrefix(r.toLowerCase(), p.toLowerCase())),
    ) &&
    !isEndpointPath(pathname, rule.endpoints, readings) &&
    readings.every((r) => rule.apiPaths.some((p) => matchesPathPrefix(r, p)))
  );
}
