import type { ResolvedConfig } from './settings.js';

/** What a debug line may carry: never token material, never a query string (it may hold secrets). */
export type DebugFields = Record<string, string | number | boolean | null | undefined>;

/** One line per decision when `debug` is on; a no-op (one boolean check) when it is off. */
export type DebugLog = (decision: string, fields?: DebugFields) => void;

/**
 * The worker's debug output: `[sw-token-broker] <decision> key=value …` on `console.debug`.
 * Callers pass paths, methods, generations, triggers and reasons only.
 */
export function createDebugLog(
  enabled: () => boolean,
  sink: (line: string) => void = (line) => console.debug(line),
): DebugLog {
  return (decision, fields) => {
    if (!enabled()) return;
    const parts = Object.entries(fields ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v)}`);
    sink(['[sw-token-broker]', decision, ...parts].join(' '));
  };
}

/** Why `routeRequest` left a request alone (for debug lines only; computed only when debug is on). */
export function passReason(request: Request, config: ResolvedConfig): string {
  if (config.respectExistingAuthorization && request.headers.has('authorization'))
    return 'it carries its own Authorization';
  const url = new URL(request.url);
  if (url.origin !== config.origin && !config.allowedOrigins.has(url.origin))
    return 'another origin, not in allowedOrigins';
  return 'its path is not under apiPaths, or is excluded or one of the broker endpoints';
}

/** The path of a request URL, without its query or fragment. */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '?';
  }
}
