import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiRequest, Rig } from './harness.js';

describe('debug mode', () => {
  afterEach(() => vi.restoreAllMocks());

  it('logs one line per decision, never token material or a query string', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'debug').mockImplementation((line: unknown) => void lines.push(String(line)));
    const rig = new Rig({ config: { debug: true } });
    await rig.login();
    await rig.forward(apiRequest('/api/data?secret=q1'));
    rig.backend.accessToken = 'server-side-expired';
    await rig.forward(apiRequest('/api/data'));
    await rig.broker.logout();
    expect(lines).toEqual([
      '[sw-token-broker] request sent with token method=GET path=/api/data generation=1',
      '[sw-token-broker] request sent with token method=GET path=/api/data generation=1',
      '[sw-token-broker] refresh started trigger=unauthorized generation=1',
      '[sw-token-broker] refresh stored trigger=unauthorized generation=2',
      '[sw-token-broker] 401 replayed after refresh method=GET path=/api/data generation=2',
      '[sw-token-broker] session ended reason=user-logout',
    ]);
    const secrets = [
      ...rig.backend.refreshes.map((r) => r.refreshToken),
      'rt-1',
      'at-1',
      rig.backend.accessToken,
      'q1',
    ];
    for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);
  });

  it('is silent when off', async () => {
    const spy = vi.spyOn(console, 'debug').mockImplementation(() => undefined);
    const rig = new Rig();
    await rig.login();
    await rig.forward(apiRequest('/api/data'));
    expect(spy).not.toHaveBeenCalled();
  });
});
