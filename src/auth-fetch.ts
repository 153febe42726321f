import type { TokenSource } from './token-source.js';

/**
 * A `fetch` for pages the worker may not control. Controlled: plain `fetch`, the worker
 * does the work. Uncontrolled: attaches the worker's token and, on a 401, refreshes
 * through the worker's lock and replays once with the buffered body.
 */
export function createAuthFetch(source: TokenSource): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    if (source.controlled() || !source.inScope(request.url) || request.headers.has('authorization')) return fetch(request);
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
