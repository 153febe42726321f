// @vitest-environment happy-dom
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenBrokerClient } from '../../src/client.js';
import { TokenBrokerProvider, useSession, useTokenBroker } from '../../src/react.js';
import { ADA, fakeSessionSource } from './bindings-source.js';

// React warns unless it knows it runs under a test's act().
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLElement;
let root: Root;
let renders = 0;

function Session(props: { broker?: ReturnType<typeof fakeSessionSource> | null }) {
  const session = useSession(props.broker);
  renders++;
  return createElement(
    'p',
    null,
    `${session.status} ${session.sub ?? '-'} ${session.claims?.name ?? '-'} g${session.generation}`,
  );
}

let seenClient: unknown;

function Probe() {
  seenClient = useTokenBroker();
  return createElement(Session);
}

beforeEach(() => {
  renders = 0;
  seenClient = 'unset';
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

describe('sw-token-broker/react', () => {
  it('useSession re-renders on login, refresh and logout, once each, and unsubscribes on unmount', () => {
    const broker = fakeSessionSource();
    act(() => root.render(createElement(Session, { broker })));
    expect(container.textContent).toBe('loading - - g0');
    act(() => broker.broadcast({ type: 'session', generation: 1, expiresIn: 60_000, identity: ADA }));
    expect(container.textContent).toBe('authenticated ada Ada Lovelace g1');
    const before = renders;
    act(() =>
      broker.broadcast({
        type: 'refreshed',
        generation: 2,
        expiresIn: 60_000,
        trigger: 'proactive',
        identity: ADA,
      }),
    );
    expect(container.textContent).toBe('authenticated ada Ada Lovelace g2');
    expect(renders).toBe(before + 1);
    // News that changes nothing (an error) renders nothing.
    act(() => broker.broadcast({ type: 'error', error: { code: 'refresh-unavailable', message: 'x' } }));
    expect(renders).toBe(before + 1);
    act(() => broker.broadcast({ type: 'logout', reason: 'user-logout' }));
    expect(container.textContent).toBe('unauthenticated - - g0');
    expect(broker.listeners()).toBe(1);
    act(() => root.render(createElement('p', null, 'gone')));
    expect(broker.listeners()).toBe(0);
  });

  it('reads the provider, says loading while the provider has no client yet, and follows it once set', () => {
    const broker = fakeSessionSource();
    broker.broadcast({ type: 'session', generation: 5, expiresIn: 60_000, identity: ADA });
    const app = (b: unknown) =>
      createElement(TokenBrokerProvider, { broker: b as TokenBrokerClient | null }, createElement(Probe));
    act(() => root.render(app(null)));
    expect(container.textContent).toBe('loading - - g0');
    expect(seenClient).toBeNull();
    act(() => root.render(app(broker)));
    expect(container.textContent).toBe('authenticated ada Ada Lovelace g5');
    expect(seenClient).toBe(broker);
  });

  it('renders loading on the server (no client, no subscription)', () => {
    const broker = fakeSessionSource();
    broker.broadcast({ type: 'session', generation: 1, expiresIn: 60_000, identity: ADA });
    expect(renderToString(createElement(Session))).toBe('<p>loading - - g0</p>');
    expect(broker.listeners()).toBe(0);
  });
});
