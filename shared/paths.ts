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
  return path === base || path.startsWith(base + '/');
}

const PERCENT = /%([0-9A-Fa-f]{2})/g;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** `%70` becomes `p` (RFC 3986 §6.2.2.2); every other escape keeps its byte with upper-case hex. */
function decodeUnreserved(segment: string): string {
  return segment.replace(PERCENT, (_, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/** Decodes every ASCII escape, up to three rounds (`%252F` → `%2F` → `/`); non-ASCII bytes stay encoded. */
function decodeAscii(path: string): string {
  let out = path;
  for (let round = 0; round < 3; round++) {
    const next = out.replace(PERCENT, (whole, hex: string) => (parseInt(hex, 16) < 0x80 ? String.fromCharCode(parseInt(hex, 16)) : whole));
    if (next === out) break;
    out = next;
  }
  return out.replace(/\\/g, '/');
}

/** How one server might read a path. */
interface Reading {
  /** Drop `;params` from every segment. */
  stripParams: boolean;
  /** Decode reserved escapes too: `%2F` and `%5C` become separators, `%25` decodes again. */
  decodeAll: boolean;
}

/** One reading of `path`: escapes as the reading says, `//` collapsed, `.` and `..` resolved. */
function normalise(path: string, reading: Reading): string {
  const source = reading.decodeAll ? decodeAscii(path) : path;
  const segments = source.split('/').slice(1);
  const out: string[] = [];
  let directory = false;
  segments.forEach((raw, i) => {
    const last = i === segments.length - 1;
    const semicolon = raw.indexOf(';');
    const segment = decodeUnreserved(reading.stripParams && semicolon >= 0 ? raw.slice(0, semicolon) : raw);
    directory = last && (segment === '' || segment === '.' || segment === '..');
    if (segment === '' || segment === '.') return;
    if (segment === '..') out.pop();
    else out.push(segment);
  });
  if (out.length === 0) return '/';
  return `/${out.join('/')}${directory ? '/' : ''}`;
}

const READINGS: readonly Reading[] = [
  { stripParams: false, decodeAll: false },
  { stripParams: true, decodeAll: false },
  { stripParams: false, decodeAll: true },
  { stripParams: true, decodeAll: true },
];

/** Every distinct path a server might route `pathname` (a parsed URL's) to; the first is the normal form. */
export function pathReadings(pathname: string): string[] {
  return [...new Set(READINGS.map((r) => normalise(pathname, r)))];
}

/** The normal form of a path: unreserved escapes decoded, `//` collapsed, dot segments resolved. */
export function normalisePath(pathname: string): string {
  return normalise(pathname, READINGS[0]!);
}

const loose = (path: string): string => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();

/** What decides whether a path on a trusted origin gets the token. */
export interface PathRule {
  apiPaths: readonly string[];
  excludePaths: readonly string[];
  /** Paths of the broker's own endpoints on this origin (token, login, revocation). */
  endpoints: readonly string[];
}

/** True when any reading of `pathname` is one of `endpoints` (case and a trailing `/` ignored). */
export function isEndpointPath(pathname: string, endpoints: readonly string[]): boolean {
  const targets = endpoints.map(loose);
  return pathReadings(pathname).some((r) => targets.includes(loose(r)));
}

/** The token rule for a path on a trusted origin (see the top of this file). */
export function isTokenPath(pathname: string, rule: PathRule): boolean {
  const readings = pathReadings(pathname);
  const excludes = rule.excludePaths.map((p) => p.toLowerCase());
  if (readings.some((r) => excludes.some((p) => matchesPathPrefix(r.toLowerCase(), p)))) return false;
  if (isEndpointPath(pathname, rule.endpoints)) return false;
  return readings.every((r) => rule.apiPaths.some((p) => matchesPathPrefix(r, p)));
}
