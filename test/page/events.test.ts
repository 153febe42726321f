import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBrokerError } from '../../shared/errors.js';
import { createEmitter } from '../../src/events.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Emitter', () => {
  it('calls every handler of an event with its payload, and only those', () => {
    const emitter = createEmitter();
    const logout = vi.fn();
    const logout2 = vi.fn();
    const refreshed = vi.fn();
    emitter.on('logout', logout);
    emitter.on('logout', logout2);
    emitter.on('refreshed', refreshed);
    emitter.emit('logout', { reason: 'refresh-rejected' });
    expect(logout).toHaveBeenCalledWith({ reason: 'refresh-rejected' });
    expect(logout2).toHaveBeenCalledWith({ reason: 'refresh-rejected' });
    expect(refreshed).not.toHaveBeenCalled();
    const error = new TokenBrokerError('refresh-unavailable');
    const onError = vi.fn();
    emitter.on('error', onError);
    emitter.emit('error', { error });
    expect(onError.mock.calls[0]?.[0].error).toBe(error);
  });

  it('stops calling a handler after its unsubscribe, and leaves the others subscribed', () => {
    const emitter = createEmitter();
    const gone = vi.fn();
    const stays = vi.fn();
    const off = emitter.on('session', gone);
    emitter.on('session', stays);
    emitter.emit('session', { generation: 1, expiresIn: 1000 });
    off();
    off(); // idempotent
    emitter.emit('session', { generation: 2, expiresIn: 1000 });
    expect(gone).toHaveBeenCalledTimes(1);
    expect(stays).toHaveBeenCalledTimes(2);
  });

  it('calls a handler registered twice once (a set), and one unsubscribe removes it', () => {
    const emitter = createEmitter();
    const handler = vi.fn();
    const off = emitter.on('control', handler);
    emitter.on('control', handler);
    emitter.emit('control', { controlled: true });
    expect(handler).toHaveBeenCalledTimes(1);
    off();
    emitter.emit('control', { controlled: false });
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('keeps going past a throwing handler and reports the error asynchronously instead of swallowing it', () => {
    const reported: Array<() => void> = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => void reported.push(task));
    const emitter = createEmitter();
    const boom = new Error('handler bug');
    const before = vi.fn();
    const after = vi.fn();
    emitter.on('logout', before);
    emitter.on('logout', () => {
      throw boom;
    });
    emitter.on('logout', after);
    expect(() => emitter.emit('logout', { reason: 'user-logout' })).not.toThrow();
    expect(before).toHaveBeenCalledTimes(1);
    expect(after).toHaveBeenCalledTimes(1);
    expect(reported).toHaveLength(1);
    expect(() => reported[0]?.()).toThrow(boom);
  });

  it('clear() removes every handler', () => {
    const emitter = createEmitter();
    const handler = vi.fn();
    emitter.on('logout', handler);
    emitter.on('refreshed', handler);
    emitter.clear();
    emitter.emit('logout', { reason: 'user-logout' });
    emitter.emit('refreshed', { generation: 2, expiresIn: 1, trigger: 'proactive' });
    expect(handler).not.toHaveBeenCalled();
  });

  it('emits with no handlers without failing', () => {
    expect(() => createEmitter().emit('control', { controlled: false })).not.toThrow();
  });
});
