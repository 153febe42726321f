import { describe, expect, it } from 'vitest';
import type { DeclarativeConfig } from '../../shared/config.js';
import { TokenBrokerError } from '../../shared/errors.js';
import type { BrokerStatus } from '../../shared/protocol.js';
import { createConfigKeeper } from '../../src/config-keeper.js';

const CONFIG: DeclarativeConfig = { tokenEndpoint: '/api/auth/refresh', loginEndpoint: '/api/auth/login' };
const status = (configured: boolean) => ({ loggedIn: false, configured }) as BrokerStatus;

function rig(config: DeclarativeConfig | null = CONFIG, configureError?: TokenBrokerError) {
  const sent: DeclarativeConfig[] = [];
  const lost: TokenBrokerError[] = [];
  let release: () => void = () => undefined;
  const keeper = createConfigKeeper(
    config ?? undefined,
    (own) => {
      sent.push(own);
      return new Promise<BrokerStatus>((resolve, reject) => {
        release = () => (configureError ? reject(configureError) : resolve(status(true)));
      });
    },
    (error) => lost.push(error),
  );
  return { keeper, sent, lost, release: () => release() };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('createConfigKeeper', () => {
  it('a call answered not-configured re-sends the config, then retries once', async () => {
    const r = rig();
    let calls = 0;
    const run = r.keeper.run(async () => {
      if (calls++ === 0) throw new TokenBrokerError('not-configured');
      return 'ok';
    });
    await flush();
    expect(r.sent).toEqual([CONFIG]);
    r.release();
    expect(await run).toBe('ok');
    expect(calls).toBe(2);
  });

  it('a second not-configured after the retry reaches the caller', async () => {
    const r = rig();
    const run = r.keeper.run(() => Promise.reject(new TokenBrokerError('not-configured')));
    await flush();
    r.release();
    await expect(run).rejects.toMatchObject({ code: 'not-configured' });
    expect(r.sent).toHaveLength(1);
  });

  it('a status saying configured: false re-sends the config in the background, once for many', async () => {
    const r = rig();
    expect(
      await Promise.all([r.keeper.run(async () => status(false)), r.keeper.run(async () => status(false))]),
    ).toHaveLength(2);
    expect(r.sent).toHaveLength(1);
    r.release();
    await flush();
    expect(r.lost).toEqual([]);
  });

  it('a config broadcast makes it re-send; losing reports config-conflict', async () => {
    const conflict = new TokenBrokerError('config-conflict', 'configVersion 1 is older than the worker’s 2');
    const r = rig(CONFIG, conflict);
    expect(r.keeper.onBroadcastError('config-conflict')).toBe(true);
    expect(r.sent).toHaveLength(1);
    r.release();
    await flush();
    expect(r.lost).toEqual([conflict]);
    expect(r.keeper.onBroadcastError('refresh-unavailable')).toBe(false);
  });

  it('without a config of its own (your own worker) it changes nothing', async () => {
    const r = rig(null);
    expect(r.keeper.onBroadcastError('not-configured')).toBe(false);
    await expect(
      r.keeper.run(() => Promise.reject(new TokenBrokerError('not-configured'))),
    ).rejects.toMatchObject({ code: 'not-configured' });
    expect(r.sent).toEqual([]);
  });
});
