import { describe, expect, it } from 'vitest';
import { createConfigWait, MAX_INSPECTED_BYTES, withholdRefreshTokens } from '../../sw/unconfigured.js';

const post = (url = 'https://app.example/api/auth/login') => new Request(url, { method: 'POST', body: '{}' });
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('withholdRefreshTokens (unconfigured standalone worker fails closed)', () => {
  it('replaces a response carrying refresh_token with 503 not-configured', async () => {
    const res = await withholdRefreshTokens(
      post(),
      json({ access_token: 'a', refresh_token: 'r', expires_in: 60 }),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('x-token-broker-error')).toBe('not-configured');
    const text = await res.text();
    expect(text).not.toContain('"r"');
    expect(JSON.parse(text)).toMatchObject({ error: 'not-configured' });
  });

  it('whatever the content type says', async () => {
    const res = await withholdRefreshTokens(
      post(),
      new Response('{"refresh_token":"r"}', { headers: { 'Content-Type': 'text/plain' } }),
    );
    expect(res.status).toBe(503);
  });

  it.each([
    ['nested in JSON', json({ data: { session: { refresh_token: 'r' } } }), 503],
    ['in a form-encoded body', new Response('access_token=a&refresh_token=r'), 503],
    [
      'in an error answer (status kept)',
      json({ error: 'invalid_credentials', refresh_token: 'r' }, 401),
      401,
    ],
    ['in a body too large to inspect', new Response(`{"pad":"${'x'.repeat(MAX_INSPECTED_BYTES)}"}`), 503],
  ])('withholds a refresh token %s', async (_name, response, status) => {
    const res = await withholdRefreshTokens(post(), response);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-token-broker-error')).toBe('not-configured');
    expect(await res.text()).not.toContain('"r"');
  });

  it.each([
    ['a GET', new Request('https://app.example/api/me'), json({ refresh_token: 'r' })],
    ['an error answer without one', post(), json({ error: 'invalid_credentials' }, 401)],
    ['a body without refresh_token', post(), json({ ok: true })],
    ['a body that is not JSON', post(), new Response('plain text')],
  ])('passes %s through unchanged', async (_name, request, response) => {
    const body = await response.clone().text();
    const res = await withholdRefreshTokens(request, response);
    expect(res.status).toBe(response.status);
    expect(await res.text()).toBe(body);
  });
});

describe('createConfigWait', () => {
  const rig = (arrivesAfterMs: number | null) => {
    let waited = 0;
    let announced = 0;
    const wait = createConfigWait({
      configured: () => arrivesAfterMs !== null && waited >= arrivesAfterMs,
      announce: () => announced++,
      waitMs: 2_000,
      sleep: async (ms) => void (waited += ms),
    });
    return { wait, announced: () => announced, waited: () => waited };
  };

  it('asks the tabs once and resolves as soon as a config arrives', async () => {
    const r = rig(100);
    expect(await Promise.all([r.wait(), r.wait()])).toEqual([true, true]);
    expect(r.announced()).toBe(1);
    expect(r.waited()).toBe(100);
  });

  it('gives up after the wait, once per worker start: later requests do not wait again', async () => {
    const r = rig(null);
    expect(await r.wait()).toBe(false);
    expect(r.waited()).toBe(2_000);
    expect(await r.wait()).toBe(false);
    expect(r.waited()).toBe(2_000);
    expect(r.announced()).toBe(1);
  });

  it('does not wait or ask when configured', async () => {
    const r = rig(0);
    expect(await r.wait()).toBe(true);
    expect(r.announced()).toBe(0);
  });
});
