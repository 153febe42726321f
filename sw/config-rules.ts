import { TOKEN_ENDPOINT_FORMATS, type DeclarativeConfig } from '../shared/config.js';
import {
  DEFAULT_BACKOFF_SECONDS,
  DEFAULT_MAX_REFRESH_ATTEMPTS,
  DEFAULT_REFRESH_TIMEOUT_SECONDS,
  MAX_REPLAY_BODY_BYTES_LIMIT,
} from '../shared/defaults.js';
import { TokenBrokerError } from '../shared/errors.js';
import { pathReadings } from '../shared/paths.js';

/**
 * Bounds of the timing options, in seconds. The minimums keep a config from destroying a
 * session: a refresh timeout shorter than the server's answer abandons a rotation the server
 * already made, and the retry is a reuse that revokes the family.
 */
export interface ConfigLimits {
  refreshTimeoutSeconds: readonly [min: number, max: number];
  requestWaitSeconds: readonly [min: number, max: number];
  refreshLeadSeconds: readonly [min: number, max: number];
  backoffSeconds: readonly [min: number, max: number];
  /** Worst case of one refresh: every attempt times out, with the largest backoff between. */
  refreshBudgetSeconds: number;
}

export const DEFAULT_LIMITS: ConfigLimits = {
  refreshTimeoutSeconds: [1, 60],
  requestWaitSeconds: [1, 60],
  refreshLeadSeconds: [0, 86_400],
  backoffSeconds: [0, 300],
  // Browsers kill a worker whose event runs past 5 minutes (docs/platform-facts.md §1): stay well below.
  refreshBudgetSeconds: 240,
};

/** At most this many entries in `apiPaths`, `excludePaths` and `allowedOrigins`. */
export const MAX_LIST_LENGTH = 100;
const MAX_TEXT_LENGTH = 4096;
// Visible ASCII only for values that go into a header.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

const fail = (message: string): never => {
  throw new TokenBrokerError('invalid-config', message);
};
const show = (value: unknown): string =>
  typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));

type Rule = (value: unknown, name: string, limits: ConfigLimits) => void;

function text(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') fail(`${name} must be a string, not ${show(value)}`);
  if ((value as string).trim() === '') fail(`${name} must not be empty (omit it instead)`);
  if ((value as string).length > MAX_TEXT_LENGTH)
    fail(`${name} is longer than ${MAX_TEXT_LENGTH} characters`);
}

function secondsIn(range: (l: ConfigLimits) => readonly [number, number]): Rule {
  return (value, name, limits) => {
    const [min, max] = range(limits);
    if (typeof value !== 'number' || !Number.isFinite(value))
      fail(`${name} must be a finite number of seconds, not ${show(value)}`);
    if ((value as number) < min || (value as number) > max)
      fail(`${name} must be between ${min} and ${max} seconds, not ${show(value)}`);
  };
}

function list(
  value: unknown,
  name: string,
  minLength: number,
  each: (item: unknown, itemName: string) => void,
): void {
  if (!Array.isArray(value)) fail(`${name} must be an array of strings, not ${show(value)}`);
  const items = value as unknown[];
  if (items.length < minLength) fail(`${name} must not be empty`);
  if (items.length > MAX_LIST_LENGTH) fail(`${name} has more than ${MAX_LIST_LENGTH} entries`);
  for (const [i, item] of items.entries()) each(item, `${name}[${i}]`);
}

/** A path prefix written in the normal form requests are matched in (shared/paths.ts). */
function pathPrefix(item: unknown, name: string): void {
  text(item, name);
  if (!item.startsWith('/')) fail(`${name} must start with "/", not ${show(item)}`);
  // One reading only, and that is the path itself: what a server routes is what is written.
  const readings = pathReadings(item);
  if (/[?#]|[^\x21-\x7e]/.test(item) || readings.length !== 1 || readings[0] !== item) {
    fail(
      `${name} must be a path in normal form such as "/api/" (no "//", "." or ".." segments, ";", "\\", "?", "#", nor escapes of "/", "\\", "%" or of plain characters), not ${show(item)}`,
    );
  }
}

/** Exactly `scheme://host[:port]`: no wildcard, `null`, bare host, path, query or credentials. */
function exactOrigin(item: unknown, name: string): void {
  text(item, name);
  let origin: string | null = null;
  try {
    const url = new URL(item);
    // Host names only (IDNs arrive as punycode): a `*` is a wildcard here, never a host.
    const host = /^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && host) origin = url.origin;
  } catch {
    // Not absolute: refused below.
  }
  if (origin !== item) {
    fail(
      `${name} must be an exact origin like "https://api.example.com" (scheme://host[:port], nothing else), not ${show(item)}${origin ? `; did you mean "${origin}"?` : ''}`,
    );
  }
}

function booleanRule(value: unknown, name: string): void {
  if (typeof value !== 'boolean') fail(`${name} must be true or false, not ${show(value)}`);
}

/**
 * One rule per option; the type makes the table total, so a new option cannot go unchecked.
 * URL options are checked for shape here and resolved against the origin in sw/settings.ts.
 */
const RULES: { readonly [K in keyof Required<DeclarativeConfig>]: Rule } = {
  configVersion: (v, name) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      fail(`${name} must be a whole number from 0, not ${show(v)}`);
  },
  tokenEndpoint: text,
  format: (v, name) => {
    if (!(TOKEN_ENDPOINT_FORMATS as readonly unknown[]).includes(v))
      fail(`${name} must be one of ${TOKEN_ENDPOINT_FORMATS.join(', ')}, not ${show(v)}`);
  },
  clientId: text,
  scope: text,
  apiKey: (v, name) => {
    text(v, name);
    if (!HEADER_SAFE.test(v)) fail(`${name} may hold visible ASCII characters only (it is sent as a header)`);
  },
  apiPaths: (v, name) => list(v, name, 1, pathPrefix),
  excludePaths: (v, name) => list(v, name, 0, pathPrefix),
  allowedOrigins: (v, name) => list(v, name, 0, exactOrigin),
  refreshLeadSeconds: secondsIn((l) => l.refreshLeadSeconds),
  refreshTimeoutSeconds: secondsIn((l) => l.refreshTimeoutSeconds),
  requestWaitSeconds: secondsIn((l) => l.requestWaitSeconds),
  backoff: (v, name, limits) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      fail(`${name} must be an object { initialSeconds?, maxSeconds? }, not ${show(v)}`);
    const b = v as Record<string, unknown>;
    for (const key of Object.keys(b))
      if (key !== 'initialSeconds' && key !== 'maxSeconds') fail(`${name}.${key} is not an option (typo?)`);
    const seconds = secondsIn((l) => l.backoffSeconds);
    if (b.initialSeconds !== undefined) seconds(b.initialSeconds, `${name}.initialSeconds`, limits);
    if (b.maxSeconds !== undefined) seconds(b.maxSeconds, `${name}.maxSeconds`, limits);
  },
  maxReplayBodyBytes: (v, name) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_REPLAY_BODY_BYTES_LIMIT)
      fail(
        `${name} must be a whole number of bytes from 0 to ${MAX_REPLAY_BODY_BYTES_LIMIT}, not ${show(v)}`,
      );
  },
  maxRefreshAttempts: (v, name) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 10)
      fail(`${name} must be a whole number from 1 to 10, not ${show(v)}`);
  },
  revealAccessToken: booleanRule,
  respectExistingAuthorization: booleanRule,
  debug: booleanRule,
  dpop: booleanRule,
  loginEndpoint: text,
  revocationEndpoint: text,
};

/** The function hooks `installTokenBroker` accepts besides the declarative options. */
const HOOKS = ['buildRequest', 'parseResponse', 'isDefinitiveRejection'] as const;

/**
 * Checks every option's type and range; throws `invalid-config` naming the first bad one.
 * Unknown keys are refused (a typo such as `apiPath` would otherwise silently widen or
 * narrow what gets the token). `undefined` means "default"; `null` is a wrong type.
 */
export function checkConfigFields(
  config: unknown,
  limits: ConfigLimits = DEFAULT_LIMITS,
): asserts config is DeclarativeConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    fail(`the worker config must be an object, not ${show(config)}`);
  const c = config as Record<string, unknown>;
  if (c.tokenEndpoint === undefined) fail('tokenEndpoint is required');
  for (const [key, value] of Object.entries(c)) {
    if (value === undefined) continue;
    if ((HOOKS as readonly string[]).includes(key)) {
      if (typeof value !== 'function') fail(`${key} must be a function`);
      continue;
    }
    const rule = Object.hasOwn(RULES, key) ? RULES[key as keyof DeclarativeConfig] : undefined;
    if (!rule) fail(`${key} is not an option (typo?)`);
    rule!(value, key, limits);
  }
  // Cross-field rules.
  const initial =
    (c.backoff as { initialSeconds?: number } | undefined)?.initialSeconds ??
    DEFAULT_BACKOFF_SECONDS.initialSeconds;
  const max =
    (c.backoff as { maxSeconds?: number } | undefined)?.maxSeconds ?? DEFAULT_BACKOFF_SECONDS.maxSeconds;
  if (max < initial)
    fail(`backoff.maxSeconds (${max}) must not be below backoff.initialSeconds (${initial})`);
  const attempts = (c.maxRefreshAttempts as number | undefined) ?? DEFAULT_MAX_REFRESH_ATTEMPTS;
  const worst =
    attempts * ((c.refreshTimeoutSeconds as number | undefined) ?? DEFAULT_REFRESH_TIMEOUT_SECONDS) +
    (attempts - 1) * max;
  if (worst > limits.refreshBudgetSeconds) {
    fail(
      `maxRefreshAttempts × refreshTimeoutSeconds + backoff.maxSeconds between attempts is ${worst} s; it must stay within ${limits.refreshBudgetSeconds} s, or the browser kills the worker mid-refresh`,
    );
  }
}
