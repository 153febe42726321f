import { REQUEST_ID_HEADER } from '../shared/protocol.js';
import type { TokenSource } from './token-source.js';

/**
 * Controlled page: the worker does the work, but cannot see the page abort a request it holds
 * (Chromium does not abort the FetchEvent's `request.signal`). A same-origin request with a
 * signal is tagged with an id, and its abort is announced to the worker.
 */
function tagForAbort(request: Request, source: TokenSource): Request {
  if (new URL(request.url).origin !== location.origin) return request;
  const id = crypto.randomUUID();
  const headers = new Headers(request.headers);
  headers.set(REQUEST_ID_HEADER, id);
  request.signal.addEventListener('abort', () => source.abort(id), { once: true });
  return new Request(request, { headers });
}

/**
 * A `fetch` for pages the worker may not control. Controlled: plain `fetch`, the worker
 * does the work. Uncontrolled: attaches the worker's token and, on a 401, refreshes
 * through the worker's lock and replays once with the buffered body.
 */
export function createAuthFetch(source: TokenSource): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    if (source.controlled()) return fetch(init?.signal || (input instanceof Request && input.signal) ? tagForAbort(request, source) : request);
    if (!source.inScope(request.url) || request.headers.has('authorization')) return fetch(request);
    const info = await source.tokenInfo().catch(() => null);
    if (!info) return fetch(request);
    // Buffered so the 401 replay can send it again; GET and HEAD have no body (null).
    const body = request.body && (await request.arrayBuffer());
    const send = (token: string): Promise<Response> => {
      const headers = new Headers(request.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return fetch(new Request(request, { headers, body }));
    };
    const response = await send(info.accessToken);
    if (response.status !== 401) return response;
    const next = await source.recover(info.generation).catch(() => null);
    if (!next) return response;
    await response.body?.cancel();
    return send(next.accessToken);
  };
}
