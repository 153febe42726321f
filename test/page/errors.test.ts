import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  fromSerializedError,
  isErrorCode,
  isTokenBrokerError,
  serializeError,
  toTokenBrokerError,
  TokenBrokerError,
  type SerializedError,
} from '../../shared/errors.js';

describe('TokenBrokerError', () => {
  it('has a closed set of kebab-case codes, each a stable identity', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(ERROR_CODES).toEqual(
      expect.arrayContaining([
        'no-session',
        'refresh-rejected',
        'refresh-unavailable',
        'worker-timeout',
        'worker-unavailable',
        'destroyed',
        'internal',
      ]),
    );
  });

  it('is an Error named TokenBrokerError with code, message, cause and retryAfter', () => {
    const cause = new Error('socket hang up');
    const error = new TokenBrokerError('refresh-unavailable', 'token endpoint answered 503', {
      cause,
      retryAfter: 30,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TokenBrokerError');
    expect(error.code).toBe('refresh-unavailable');
    expect(error.message).toBe('token endpoint answered 503');
    expect(error.cause).toBe(cause);
    expect(error.retryAfter).toBe(30);
    expect(new TokenBrokerError('offline').message).toBe('offline');
    expect('cause' in new TokenBrokerError('offline')).toBe(false);
  });

  it('serializes to the wire shape only: code, message and retryAfter when known', () => {
    const error = new TokenBrokerError('refresh-unavailable', 'busy', {
      cause: new Error('secret detail'),
      retryAfter: 12,
    });
    expect(serializeError(error)).toEqual({ code: 'refresh-unavailable', message: 'busy', retryAfter: 12 });
    expect(serializeError(new TokenBrokerError('no-session', 'log in'))).toEqual({
      code: 'no-session',
      message: 'log in',
    });
  });

  it('round-trips every code through serializeError, a structured clone and fromSerializedError', () => {
    for (const code of ERROR_CODES) {
      const original = new TokenBrokerError(
        code,
        `failed: ${code}`,
        code === 'refresh-unavailable' ? { retryAfter: 2.5 } : undefined,
      );
      const rebuilt = fromSerializedError(structuredClone(serializeError(original)));
      expect(rebuilt).toBeInstanceOf(TokenBrokerError);
      expect(rebuilt.code).toBe(code);
      expect(rebuilt.message).toBe(`failed: ${code}`);
      expect(rebuilt.retryAfter).toBe(original.retryAfter);
      expect(serializeError(rebuilt)).toEqual(serializeError(original));
    }
  });

  it('rebuilds unknown codes and missing errors as internal, keeping the message', () => {
    const fromFuture = fromSerializedError({
      code: 'quota-exceeded',
      message: 'too many',
    } as unknown as SerializedError);
    expect(fromFuture).toBeInstanceOf(TokenBrokerError);
    expect(fromFuture.code).toBe('internal');
    expect(fromFuture.message).toBe('too many');
    expect(fromSerializedError(undefined).code).toBe('internal');
    expect(fromSerializedError({ code: 'toString', message: 'x' } as unknown as SerializedError).code).toBe(
      'internal',
    );
  });
});

describe('isTokenBrokerError', () => {
  it('matches instances, optionally by code', () => {
    const error = new TokenBrokerError('worker-timeout');
    expect(isTokenBrokerError(error)).toBe(true);
    expect(isTokenBrokerError(error, 'worker-timeout')).toBe(true);
    expect(isTokenBrokerError(error, 'worker-unavailable')).toBe(false);
  });

  it('matches an error from another realm: a structured clone of the wire shape plus name', () => {
    const error = new TokenBrokerError('refresh-rejected', 'dead refresh token');
    const clone: unknown = structuredClone({ ...serializeError(error), name: error.name });
    expect(clone).not.toBeInstanceOf(TokenBrokerError);
    expect(isTokenBrokerError(clone)).toBe(true);
    expect(isTokenBrokerError(clone, 'refresh-rejected')).toBe(true);
    expect(isTokenBrokerError(clone, 'no-session')).toBe(false);
    // A structured clone of the Error itself keeps name and message but loses the code.
    expect(isTokenBrokerError(structuredClone(error))).toBe(false);
  });

  it('rejects look-alikes: other names, unknown codes, non-objects', () => {
    expect(isTokenBrokerError({ name: 'TokenBrokerError', code: 'made-up' })).toBe(false);
    expect(isTokenBrokerError({ name: 'Error', code: 'no-session' })).toBe(false);
    expect(isTokenBrokerError(Object.assign(new Error('x'), { code: 'no-session' }))).toBe(false);
    for (const value of [null, undefined, 'TokenBrokerError', 42])
      expect(isTokenBrokerError(value)).toBe(false);
    expect(isErrorCode('no-session')).toBe(true);
    expect(isErrorCode('constructor')).toBe(false);
  });
});

describe('toTokenBrokerError', () => {
  it('returns a TokenBrokerError as it is', () => {
    const error = new TokenBrokerError('offline');
    expect(toTokenBrokerError(error)).toBe(error);
  });

  it('rebuilds a foreign-realm one with its code and retryAfter, the original as cause', () => {
    const foreign = { name: 'TokenBrokerError', code: 'refresh-unavailable', message: 'busy', retryAfter: 5 };
    const error = toTokenBrokerError(foreign);
    expect(error).toBeInstanceOf(TokenBrokerError);
    expect(error).toMatchObject({ code: 'refresh-unavailable', message: 'busy', retryAfter: 5 });
    expect(error.cause).toBe(foreign);
  });

  it('wraps anything else as internal with the original as cause', () => {
    const boom = new TypeError('x is undefined');
    expect(toTokenBrokerError(boom)).toMatchObject({
      code: 'internal',
      message: 'x is undefined',
      cause: boom,
    });
    expect(toTokenBrokerError('plain string')).toMatchObject({ code: 'internal', message: 'plain string' });
  });
});
