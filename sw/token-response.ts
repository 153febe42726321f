import { TokenBrokerError, type TokenBrokerErrorCode } from '../shared/errors.js';
import { MAX_EXPIRES_IN_SECONDS } from './expiry.js';

/** Token fields as read from a server response (or handed over by a page). */
export interface TokenFields {
  accessToken: unknown;
  refreshToken?: unknown;
  expiresIn?: unknown;
}

/** Validated tokens. `refreshToken` is undefined when the server does not rotate. */
export interface ValidTokens {
  accessToken: string;
  refreshToken: string | undefined;
  expiresIn: number | undefined;
}

/** A token response larger than this is refused unread. */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

// Visible ASCII only: a token goes into an HTTP header, where CR, LF, NUL, spaces
// or non-ASCII would break or split the header.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

function check(value: unknown, name: string, code: TokenBrokerErrorCode): string {
  if (typeof value !== 'string') throw new TokenBrokerError(code, `${name} is missing or not a string`);
  if (value.length === 0) throw new TokenBrokerError(code, `${name} is empty`);
  if (value.length > MAX_TOKEN_RESPONSE_BYTES) throw new TokenBrokerError(code, `${name} is too long`);
  if (!HEADER_SAFE.test(value)) throw new TokenBrokerError(code, `${name} contains characters unsafe in a header`);
  return value;
}

/** Rejects anything the broker must not store. `code` says whose fault it is. */
export function validateTokens(fields: TokenFields, code: TokenBrokerErrorCode = 'invalid-token-response'): ValidTokens {
  const accessToken = check(fields.accessToken, 'access token', code);
  const refreshToken = fields.refreshToken === undefined || fields.refreshToken === null ? undefined : check(fields.refreshToken, 'refresh token', code);
  let expiresIn: number | undefined;
  if (fields.expiresIn !== undefined && fields.expiresIn !== null) {
    // Some servers send expires_in as a numeric string.
    const n = typeof fields.expiresIn === 'string' && fields.expiresIn.trim() !== '' ? Number(fields.expiresIn) : fields.expiresIn;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_EXPIRES_IN_SECONDS) {
      throw new TokenBrokerError(code, 'expires_in is not a sane number of seconds');
    }
    expiresIn = n;
  }
  return { accessToken, refreshToken, expiresIn };
}

/** Reads at most `limit` bytes of a body as text; larger bodies are refused without buffering them. */
export async function readCappedText(response: Response, limit: number = MAX_TOKEN_RESPONSE_BYTES): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > limit || !response.body) {
    await response.body?.cancel();
    if (declared > limit) throw new TokenBrokerError('invalid-token-response', 'token response is too large');
    return '';
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new TokenBrokerError('invalid-token-response', 'token response is too large');
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** Parses JSON, or returns undefined; never throws. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The standard OAuth 2.0 / GoTrue field names. */
export async function parseStandardTokenResponse(response: Response): Promise<TokenFields> {
  const body = parseJson(await readCappedText(response));
  if (typeof body !== 'object' || body === null) throw new TokenBrokerError('invalid-token-response', 'token response is not a JSON object');
  const b = body as Record<string, unknown>;
  return { accessToken: b.access_token, refreshToken: b.refresh_token, expiresIn: b.expires_in };
}
