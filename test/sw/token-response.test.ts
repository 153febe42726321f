import { describe, expect, it } from 'vitest';
import {
  MAX_TOKEN_RESPONSE_BYTES,
  parseStandardTokenResponse,
  readCappedText,
  validateTokens,
  type TokenFields,
} from '../../sw/token-response.js';
import { jwt, Rig, START } from './harness.js';

const ok = { accessToken: 'at', refreshToken: 'rt', expiresIn: 60 };

/** A body streamed in chunks, with no Content-Length; counts how far it was read. */
function chunked(chunks: string[]) {
  const stats = { pulled: 0, cancelled: false };
  const bytes = chunks.map((c) => new TextEncoder().encode(c));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = bytes[stats.pulled++];
      if (next) controller.enqueue(next);
      else controller.close();
    },
    cancel() {
      stats.cancelled = true;
    },
  });
  return {
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } }),
    stats,
  };
}

describe('validateTokens', () => {
  it('accepts sane tokens; a numeric-string expires_in is read as a number', () => {
    expect(validateTokens(ok)).toEqual(ok);
    expect(validateTokens({ accessToken: 'a.b-c_d~', expiresIn: '30' })).toEqual({
      accessToken: 'a.b-c_d~',
      refreshToken: undefined,
      expiresIn: 30,
    });
    expect(validateTokens({ accessToken: 'a', refreshToken: null, expiresIn: null })).toEqual({
      accessToken: 'a',
      refreshToken: undefined,
      expiresIn: undefined,
    });
  });

  it.each([
    ['missing access token', { refreshToken: 'rt' }],
    ['empty access token', { accessToken: '' }],
    ['non-string access token', { accessToken: 42 }],
    ['object access token', { accessToken: { t: 1 } }],
    ['CR/LF in access token', { accessToken: 'a\r\nX-Evil: 1' }],
    ['NUL in access token', { accessToken: 'a\u0000b' }],
    ['space in access token', { accessToken: 'a b' }],
    ['non-ASCII access token', { accessToken: 'tökén' }],
    ['empty refresh token', { accessToken: 'a', refreshToken: '' }],
    ['LF in refresh token', { accessToken: 'a', refreshToken: 'r\n' }],
    ['non-string refresh token', { accessToken: 'a', refreshToken: 7 }],
    ['negative expires_in', { accessToken: 'a', expiresIn: -1 }],
    ['zero expires_in', { accessToken: 'a', expiresIn: 0 }],
    ['absurd expires_in', { accessToken: 'a', expiresIn: 10 * 365 * 24 * 3600 }],
    ['NaN expires_in', { accessToken: 'a', expiresIn: Number.NaN }],
    ['infinite expires_in', { accessToken: 'a', expiresIn: Number.POSITIVE_INFINITY }],
    ['non-numeric expires_in', { accessToken: 'a', expiresIn: 'soon' }],
    ['boolean expires_in', { accessToken: 'a', expiresIn: true }],
    ['huge access token', { accessToken: 'a'.repeat(MAX_TOKEN_RESPONSE_BYTES + 1) }],
  ] as Array<[string, TokenFields]>)('rejects %s with the given code', (_name, fields) => {
    expect(() => validateTokens(fields)).toThrow(
      expect.objectContaining({ name: 'TokenBrokerError', code: 'invalid-token-response' }),
    );
    expect(() => validateTokens(fields, 'invalid-session')).toThrow(
      expect.objectContaining({ code: 'invalid-session' }),
    );
  });
});

describe('readCappedText', () => {
  it('reads bodies up to the limit', async () => {
    expect(await readCappedText(new Response('x'.repeat(MAX_TOKEN_RESPONSE_BYTES)))).toHaveLength(
      MAX_TOKEN_RESPONSE_BYTES,
    );
    expect(await readCappedText(chunked(['{"a":', '1}']).response)).toBe('{"a":1}');
    expect(await readCappedText(new Response(null))).toBe('');
  });

  it('refuses a declared Content-Length above the limit unread', async () => {
    const { response, stats } = chunked(['{}']);
    response.headers.set('content-length', String(MAX_TOKEN_RESPONSE_BYTES + 1));
    await expect(readCappedText(response)).rejects.toMatchObject({ code: 'invalid-token-response' });
    expect(stats.pulled).toBeLessThanOrEqual(1);
    expect(stats.cancelled).toBe(true);
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const chunk = 'x'.repeat(16 * 1024);
    const { response, stats } = chunked(Array.from({ length: 40 }, () => chunk));
    await expect(readCappedText(response)).rejects.toMatchObject({ code: 'invalid-token-response' });
    expect(stats.cancelled).toBe(true);
    expect(stats.pulled).toBeLessThan(10);
  });
});

describe('parseStandardTokenResponse', () => {
  it('maps access_token / refresh_token / expires_in', async () => {
    const res = new Response(
      JSON.stringify({ access_token: 'a', refresh_token: 'r', expires_in: 5, token_type: 'Bearer' }),
    );
    expect(await parseStandardTokenResponse(res)).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
      expiresIn: 5,
    });
  });

  it.each([['not json'], ['"a string"'], ['null'], ['']])(
    'rejects a body that is not a JSON object: %j',
    async (body) => {
      await expect(parseStandardTokenResponse(new Response(body))).rejects.toMatchObject({
        code: 'invalid-token-response',
      });
    },
  );
});

// A token that would be accepted if it were not for the size of the body around it.
const padded = (bytes: number) =>
  JSON.stringify({ access_token: 'at-big', refresh_token: 'rt-big', expires_in: 60, pad: 'p'.repeat(bytes) });

describe('a 2xx refresh answer the broker refuses', () => {
  const cases: Array<[string, () => Response]> = [
    ['not JSON', () => new Response('<html>oops</html>', { status: 200 })],
    ['no refresh token and no access token', () => Response.json({ expires_in: 60 })],
    ['NUL in the refresh token', () => Response.json({ access_token: 'a', refresh_token: 'r\u0000' })],
    [
      'empty refresh token and a bad access token',
      () => Response.json({ access_token: '', refresh_token: '' }),
    ],
    ['body over 64 KiB', () => new Response(padded(MAX_TOKEN_RESPONSE_BYTES), { status: 200 })],
    [
      'chunked body over 64 KiB',
      () => chunked(padded(MAX_TOKEN_RESPONSE_BYTES).match(/[\s\S]{1,8192}/g) ?? []).response,
    ],
  ];

  it.each(cases)(
    '%s: invalid-token-response, store untouched, pages told, no logout, no retry',
    async (_name, reply) => {
      const rig = new Rig();
      await rig.login();
      const before = await rig.stored();
      rig.backend.replies.push(() => reply());
      await expect(rig.broker.refresh('explicit')).rejects.toMatchObject({ code: 'invalid-token-response' });
      expect(await rig.stored()).toEqual(before);
      expect(rig.broker.currentSession()).toEqual(before);
      expect(rig.bus.of('error')).toEqual([
        { type: 'error', error: expect.objectContaining({ code: 'invalid-token-response' }) },
      ]);
      expect(rig.bus.of('logout')).toEqual([]);
      expect(rig.bus.of('refreshed')).toEqual([]);
      expect(rig.backend.refreshCount).toBe(1);
    },
  );
});

describe('a rotated refresh token is never lost', () => {
  const jwtAt = jwt({ exp: START / 1000 + 600, iat: START / 1000 });
  const cases: Array<
    [string, Record<string, unknown>, { accessToken: string; expiresAt: number | null | 'kept' }]
  > = [
    [
      'zero expires_in',
      { access_token: jwtAt, refresh_token: 'r2', expires_in: 0 },
      { accessToken: jwtAt, expiresAt: START + 600_000 },
    ],
    [
      '400-day expires_in',
      { access_token: 'opaque', refresh_token: 'r2', expires_in: 400 * 86400 },
      { accessToken: 'opaque', expiresAt: null },
    ],
    [
      '"3600s" expires_in',
      { access_token: 'opaque', refresh_token: 'r2', expires_in: '3600s' },
      { accessToken: 'opaque', expiresAt: null },
    ],
    [
      'negative expires_in',
      { access_token: 'opaque', refresh_token: 'r2', expires_in: -5 },
      { accessToken: 'opaque', expiresAt: null },
    ],
    ['no access token', { refresh_token: 'r2', expires_in: 60 }, { accessToken: 'kept', expiresAt: 'kept' }],
    [
      'empty access token',
      { access_token: '', refresh_token: 'r2' },
      { accessToken: 'kept', expiresAt: 'kept' },
    ],
    [
      'non-string access token',
      { access_token: 123, refresh_token: 'r2' },
      { accessToken: 'kept', expiresAt: 'kept' },
    ],
    [
      'CR/LF in the access token',
      { access_token: 'a\r\nSet-Cookie: s=1', refresh_token: 'r2' },
      { accessToken: 'kept', expiresAt: 'kept' },
    ],
  ];

  it.each(cases)(
    '%s: the new refresh token is stored, the flaw reported once, no logout',
    async (_name, body, expected) => {
      const rig = new Rig();
      await rig.login();
      const before = (await rig.stored())!;
      rig.backend.replies.push(() => {
        rig.backend.refreshToken = 'r2'; // the server rotated
        return Response.json(body);
      });
      const after = await rig.broker.refresh('explicit');
      expect(after.refreshToken).toBe('r2');
      expect(after.generation).toBe(before.generation + 1);
      expect(after.lineage).toBe(before.lineage);
      expect(after.accessToken).toBe(
        expected.accessToken === 'kept' ? before.accessToken : expected.accessToken,
      );
      expect(after.expiresAt).toBe(expected.expiresAt === 'kept' ? before.expiresAt : expected.expiresAt);
      expect(await rig.stored()).toEqual(after);
      expect(rig.bus.of('error')).toEqual([
        { type: 'error', error: expect.objectContaining({ code: 'invalid-token-response' }) },
      ]);
      expect(rig.bus.of('logout')).toEqual([]);
      // The next refresh sends the rotated token, after a backoff.
      await rig.broker.refresh('explicit');
      expect(rig.backend.refreshes.map((r) => r.refreshToken)).toEqual([before.refreshToken, 'r2']);
      expect(rig.clock.sleeps.length).toBe(1);
    },
  );
  it('the same padded body under the limit is accepted (the limit is what rejects)', async () => {
    const rig = new Rig();
    await rig.login();
    rig.backend.replies.push(() => new Response(padded(1000), { status: 200 }));
    await expect(rig.broker.refresh('explicit')).resolves.toMatchObject({
      accessToken: 'at-big',
      refreshToken: 'rt-big',
    });
  });
});
