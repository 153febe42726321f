import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBrokerError } from '../../shared/errors.js';
import { createPageLog } from '../../src/debug.js';
import { decide } from '../../src/decide.js';
import { APP, fakeSource } from './fake-source.js';

const head = (path: string, headers: Array<[string, string]> = [], method = 'GET') => ({
  method,
  url: `${APP}${path}`,
  headers,
});

function logged(options: Parameters<typeof fakeSource>[0] = {}) {
  const lines: string[] = [];
  const { source, state } = fakeSource(options);
  source.log = createPageLog((line) => lines.push(line));
  return { lines, source, state };
}

beforeEach(() => vi.stubGlobal('location', new URL(`${APP}/app/`)));
afterEach(() => vi.unstubAllGlobals());

describe('decide: one decision, one debug line per request', () => {
  it('names what happened and why, by path only (no query string, no token)', async () => {
    const { lines, source, state } = logged();
    expect(await decide(source, head('/api/me?secret=1'), null)).toMatchObject({ kind: 'token' });
    await decide(source, head('/api/me', [['authorization', 'Bearer mine']]), null);
    await decide(source, head('/public/x'), null);
    await decide(source, head('/api/auth/login', [], 'POST'), null);
    state.failTokenInfo = true;
    await decide(source, head('/api/me'), null);
    source.route.mockResolvedValueOnce({ route: 'pass', reason: 'not-configured' });
    await decide(source, head('/api/me'), null);
    source.route.mockResolvedValueOnce({ route: 'pass' }); // a worker older than `reason`
    await decide(source, head('/api/me'), null);
    source.route.mockRejectedValueOnce(new TokenBrokerError('worker-timeout'));
    expect(await decide(source, head('/api/me'), null)).toEqual({ kind: 'send' });
    expect(lines).toEqual([
      '[sw-token-broker] page attached GET /api/me (generation 1)',
      '[sw-token-broker] page skipped GET /api/me (it has its own Authorization)',
      '[sw-token-broker] page skipped GET /public/x (out of scope)',
      '[sw-token-broker] page sent through the login capture POST /api/auth/login',
      '[sw-token-broker] page skipped GET /api/me (no session)',
      '[sw-token-broker] page skipped GET /api/me (the worker is not configured)',
      '[sw-token-broker] page skipped GET /api/me (the worker left it alone)',
      '[sw-token-broker] page skipped GET /api/me (the worker did not decide: worker-timeout)',
    ]);
    expect(lines.join('\n')).not.toMatch(/at-1|secret|Bearer/);
  });

  it('leaves a controlled page to the worker without asking it', async () => {
    const { lines, source } = logged({ controlled: true });
    expect(await decide(source, head('/api/me'), null)).toEqual({ kind: 'worker' });
    expect(source.route).not.toHaveBeenCalled();
    expect(lines).toEqual(['[sw-token-broker] page left to the worker GET /api/me (page controlled)']);
  });

  it('without a worker sends as it is, or refuses when failing closed', async () => {
    const { lines, source } = logged();
    const failure = new TokenBrokerError('registration-failed', 'no');
    source.ready.mockResolvedValue(failure);
    expect(await decide(source, head('/api/me'), null)).toEqual({ kind: 'send' });
    source.failClosed = true;
    await expect(decide(source, head('/api/me'), null)).rejects.toBe(failure);
    expect(source.route).not.toHaveBeenCalled();
    expect(lines).toEqual([
      '[sw-token-broker] page skipped GET /api/me (page not controlled, no worker: registration-failed)',
      '[sw-token-broker] page refused GET /api/me (page not controlled, no worker: registration-failed)',
    ]);
  });

  it('waits for readiness, and an abort meanwhile rejects at once', async () => {
    const { source } = logged();
    source.ready.mockReturnValue(new Promise(() => undefined));
    const controller = new AbortController();
    const decision = decide(source, head('/api/me'), controller.signal);
    controller.abort(new Error('gave up'));
    await expect(decision).rejects.toThrow('gave up');
    expect(source.route).not.toHaveBeenCalled();
  });

  it('logs nothing and formats nothing when debugging is off', async () => {
    const { source } = fakeSource();
    const spy = vi.spyOn(console, 'debug');
    await decide(source, head('/api/me'), null);
    expect(spy).not.toHaveBeenCalled();
  });
});
