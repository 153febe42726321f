import { describe, expect, it } from 'vitest';
import { brokerNames, DEFAULT_BROKER_NAME } from '../../shared/names.js';
import { DEFAULT_CHANNEL } from '../../shared/protocol.js';
import { defaultLockName } from '../../sw/lock.js';
import { DEFAULT_DB_NAME } from '../../sw/store.js';

describe('brokerNames', () => {
  it('keeps the names of earlier versions for the default broker', () => {
    expect(brokerNames()).toEqual({
      name: DEFAULT_BROKER_NAME,
      db: 'sw-token-broker',
      channel: 'sw-token-broker',
      refreshLock: 'sw-token-broker:refresh',
      leaderLock: 'sw-token-broker:leader',
    });
    expect([DEFAULT_DB_NAME, DEFAULT_CHANNEL, defaultLockName()]).toEqual([
      'sw-token-broker',
      'sw-token-broker',
      'sw-token-broker:refresh',
    ]);
  });

  it('gives two names disjoint resources', () => {
    const a = Object.values(brokerNames('app-a'));
    const b = Object.values(brokerNames('app-b'));
    expect(a.filter((n) => b.includes(n))).toEqual([]);
  });

  it.each(['', '-x', 'a b', 'a/b', 'x'.repeat(65), 'ä'])('refuses %j with invalid-config', (name) => {
    expect(() => brokerNames(name)).toThrow(expect.objectContaining({ code: 'invalid-config' }));
  });
});
