import { describe, expect, it } from 'vitest';
import { isBroadcastMessage } from '../../shared/broadcast-guard.js';

describe('isBroadcastMessage', () => {
  it('accepts every message the worker sends', () => {
    for (const message of [
      { type: 'logout', reason: 'user-logout' },
      { type: 'logout', reason: 'refresh-rejected' },
      { type: 'logout', reason: 'storage-lost' }, // a reason a newer worker may add
      { type: 'refreshed', generation: 3, expiresIn: 59_000, trigger: 'proactive' },
      { type: 'session', generation: 1, expiresIn: 0 },
      { type: 'error', error: { code: 'refresh-unavailable', message: 'busy', retryAfter: 5 } },
    ]) {
      expect(isBroadcastMessage(message), JSON.stringify(message)).toBe(true);
    }
  });

  it('refuses junk without throwing', () => {
    for (const junk of [
      null,
      undefined,
      0,
      'logout',
      [],
      {},
      { type: 'logout' },
      { type: 'logout', reason: 42 },
      { type: 'logout', reason: 'Not A Reason' },
      { type: 'refreshed', generation: '3', expiresIn: 1, trigger: 'proactive' },
      { type: 'refreshed', generation: 3, expiresIn: Number.NaN, trigger: 'proactive' },
      { type: 'refreshed', generation: 3, expiresIn: 1, trigger: 'whenever' },
      { type: 'session', generation: null, expiresIn: 1 },
      { type: 'error', error: null },
      { type: 'error', error: { code: 'no-such-code', message: 'x' } },
      { type: 'error', error: { code: 'internal' } },
      { type: 'toString' },
      Object.create(null),
    ]) {
      expect(isBroadcastMessage(junk), String(JSON.stringify(junk))).toBe(false);
    }
  });
});
