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
  if (!HEADER_SAFE.test(value))
    throw new TokenBrokerError(code, `${name} contains characters unsafe in a header`);
  return value;
}

function expiresIn(value: unknown, code: TokenBrokerErrorCode): number | undefined {
  if (value === undefined || value === null) return undefined;
  // Some servers send expires_in as a numeric string.
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_EXPIRES_IN_SECONDS) {
    throw new TokenBrokerError(code, 'expires_in is not a sane number of seconds');
  }
  return n;
}

function refreshToken(value: unknown, code: TokenBrokerErrorCode): string | undefined {
  return value === undefined || value === null ? undefined : check(value, 'refresh token', code);
}

/** Rejects anything the broker must not store. `code` says whose fault it is. */
export function validateTokens(
  fields: TokenFields,
  code: TokenBrokerErrorCode = 'invalid-token-response',
): ValidTokens {
  return {
    accessToken: check(fields.accessToken, 'access token', code),
    refreshToken: refreshToken(fields.refreshToken, code),
    expiresIn: expiresIn(fields.expiresIn, code),
  };
}

/** A refresh answer as far as it can be used: every field that failed validation is undefined. */
export interface SalvagedTokens {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  expiresIn: number | undefined;
}

const orUndefined = <T>(read: () => T): T | undefined => {
  try {
    return read();
  } catch {
    return undefined;
  }
};

/**
 * Reads a 2xx refresh answer. A valid rotated refresh token is kept whatever else is wrong
 * with the answer, because the server has already spent the old one: the faulty fields are
 * dropped (expiry then comes from the JWT, else the token is refreshed on its first 401) and
 * the fault is returned as `flaw`. Without a usable refresh token a faulty answer throws.
 */
export function salvageTokens(fields: TokenFields): { tokens: SalvagedTokens; flaw?: TokenBrokerError } {
  try {
    return { tokens: validateTokens(fields) };
  } catch (error) {
    const rotated = orUndefined(() => refreshToken(fields.refreshToken, 'invalid-token-response'));
    if (rotated === undefined) throw error;
    const tokens: SalvagedTokens = {
      accessToken: orUndefined(() => check(fields.accessToken, 'access token', 'invalid-token-response')),
      refreshToken: rotated,
      expiresIn: orUndefined(() => expiresIn(fields.expiresIn, 'invalid-token-response')),
    };
    return { tokens, flaw: error as TokenBrokerError };
  }
}

/** Reads at most `limit` bytes of a body as text; larger bodies are refused without buffering them. */
export async function readCappedText(
  response: Response,
  limit: number = MAX_TOKEN_RESPONSE_BYTES,
): Promise<string> {
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
  if (typeof body !== 'object' || body === null)
    throw new TokenBrokerError('invalid-token-response', 'token response is not a JSON object');
  const b = body as Record<string, unknown>;
  return { accessToken: b.access_token, refreshToken: b.refresh_token, expiresIn: b.expires_in };
}
