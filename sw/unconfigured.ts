import { errorResponse } from './error-response.js';
import { readBodyUpTo } from './bounded-body.js';

/** How long the first request after an unconfigured start waits for a tab to send its config. */
export const CONFIG_WAIT_MS = 2_000;
const POLL_MS = 20;

export interface ConfigWaitDeps {
  configured: () => boolean;
  /** Asks every tab for its config (the page clients answer with `configure`). */
  announce: () => void;
  waitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The standalone worker without a config (its IndexedDB was cleared or deleted, or no page has
 * configured it yet) cannot tell a login or an API request from any other request. The first
 * request asks the tabs for their config and waits for it, bounded; later requests of the same
 * worker start wait for that same attempt only, so a worker no tab configures costs one wait.
 * Resolves whether a config is there.
 */
export function createConfigWait(deps: ConfigWaitDeps): () => Promise<boolean> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let attempt: Promise<boolean> | undefined;
  const wait = async (): Promise<boolean> => {
    deps.announce();
    // Polled because the config arrives through a separate `configure` message event;
    // the poll ends with the first of: config present, wait over.
    for (let waited = 0; waited < (deps.waitMs ?? CONFIG_WAIT_MS); waited += POLL_MS) {
      if (deps.configured()) return true;
      await sleep(POLL_MS);
    }
    return deps.configured();
  };
  return () => {
    if (deps.configured()) return Promise.resolve(true);
    attempt ??= wait();
    return attempt.then(() => deps.configured());
  };
}

/** The most of a body the unconfigured worker reads to look for a refresh token. */
export const MAX_INSPECTED_BYTES = 1024 * 1024;

/**
 * Fail closed while unconfigured: a response that may carry a refresh token (a login the worker
 * would have captured, had it known the login endpoint) never reaches the page. The rule is login
 * capture's: any body that mentions `refresh_token` (JSON at any depth, a form, any status), and
 * any body too large to inspect, is replaced by a JSON error with `x-token-broker-error:
 * not-configured`: `503` for a 2xx, the server's status otherwise. The app retries once its tab
 * re-sent the config. Reads only bodies of non-GET requests, the only ones a login or token
 * exchange uses.
 */
export async function withholdRefreshTokens(request: Request, response: Response): Promise<Response> {
  if (request.method === 'GET' || request.method === 'HEAD' || response.body === null) return response;
  const bytes = await readBodyUpTo(response.clone(), MAX_INSPECTED_BYTES);
  if (bytes !== null && !new TextDecoder().decode(bytes).includes('refresh_token')) return response;
  await response.body.cancel();
  const message =
    bytes === null
      ? 'the worker has lost its configuration and withheld a response too large to inspect; retry'
      : 'the worker has lost its configuration and withheld a response carrying a refresh token; retry';
  return errorResponse(response.ok ? 503 : response.status, 'not-configured', message);
}
