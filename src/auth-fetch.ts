import { raceAbort } from './abort.js';
import { PASS, type TokenSource } from './token-source.js';

/** Sends `request` through the worker's login capture and rebuilds the answer as a `Response`. */
export async function loginThroughWorker(source: TokenSource, request: Request): Promise<Response> {
  const body = request.body && (await request.arrayBuffer());
  const wire = { method: request.method, url: request.url, headers: [...request.headers], body };
  const reply = await raceAbort(source.captureLogin(wire), request.signal);
  return new Response(reply.body, { status: reply.status, statusText: reply.statusText, headers: reply.headers });
}

/**
 * A `fetch` for pages the worker may not control. Controlled: plain `fetch`, the worker
 * does the work. Uncontrolled: the worker decides with the rule it applies to requests it
 * sees (scope, exclusions, an existing `Authorization`, login capture); then this attaches
 * the token and, on a 401, refreshes through the worker's lock and replays once with the
 * buffered body, or sends a login through the worker's capture. An abort is honoured at
 * every wait.
 */
export function createAuthFetch(source: TokenSource): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    if (source.controlled()) return fetch(request);
    const head = { method: request.method, url: request.url, headers: [...request.headers] };
    const decision = await raceAbort(source.route(head).catch(() => PASS), request.signal);
    if (decision.route === 'login') return loginThroughWorker(source, request);
    if (decision.route === 'pass' || !decision.token) return fetch(request);
    const info = decision.token;
    // Buffered so the 401 replay sends the same bytes again; GET and HEAD have no body (null).
    const body = request.body && (await request.arrayBuffer());
    const send = (token: string): Promise<Response> => {
      const headers = new Headers(request.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return fetch(new Request(request, { headers, body }));
    };
    const response = await send(info.accessToken);
    if (response.status !== 401) return response;
    const next = await raceAbort(source.recover(info.generation).catch(() => null), request.signal).catch(async (reason: unknown) => {
      await response.body?.cancel();
      throw reason;
    });
    if (!next) return response;
    await response.body?.cancel();
    return send(next.accessToken);
  };
}
