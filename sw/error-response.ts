import type { TokenBrokerErrorCode } from '../shared/errors.js';
import { ERROR_HEADER } from '../shared/protocol.js';

/**
 * An answer the worker makes up instead of the server's: `{ error, message }` as JSON, marked
 * with the code in `ERROR_HEADER`, never cached, with `Retry-After` when the code has a wait.
 */
export function errorResponse(
  status: number,
  code: TokenBrokerErrorCode,
  message: string,
  retryAfterSeconds?: number,
): Response {
  const headers = new Headers({
    'Content-Type': 'application/json',
    [ERROR_HEADER]: code,
    'Cache-Control': 'no-store',
  });
  if (retryAfterSeconds !== undefined) headers.set('Retry-After', String(Math.ceil(retryAfterSeconds)));
  return new Response(JSON.stringify({ error: code, message }), { status, headers });
}
