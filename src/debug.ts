/** The parts of a request a debug line may name: its method and URL (the query is never printed). */
export interface LoggedRequest {
  method: string;
  url: string;
}

/**
 * One line per decision the page client takes, or undefined when debugging is off: callers
 * write `log?.(…)`, so with debugging off not even the arguments are evaluated.
 */
export type PageLog = (decision: string, request?: LoggedRequest, detail?: string) => void;

/**
 * The page's debug output: `[sw-token-broker] page <decision> <METHOD> <path> (<detail>)` on
 * `console.debug`. Callers pass decisions, error codes and reasons only, never token material;
 * URLs are cut to origin (when foreign) and path, since a query string may hold secrets.
 */
export function createPageLog(sink: (line: string) => void = (line) => console.debug(line)): PageLog {
  return (decision, request, detail) => {
    const parts = ['[sw-token-broker] page', decision];
    if (request) parts.push(request.method.toUpperCase(), where(request.url));
    if (detail) parts.push(`(${detail})`);
    sink(parts.join(' '));
  };
}

function where(url: string): string {
  try {
    const { origin, pathname } = new URL(url, location.href);
    return origin === location.origin ? pathname : `${origin}${pathname}`;
  } catch {
    return '?';
  }
}
