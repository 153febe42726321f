// @vitest-environment happy-dom
import { createApp, defineComponent, h, nextTick, shallowRef, type App, type Component } from 'vue';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenBrokerClient } from '../../src/client.js';
import { tokenBrokerPlugin, useSession, useTokenBroker } from '../../src/vue.js';
import { ADA, fakeSessionSource } from './bindings-source.js';

const apps: App[] = [];

afterEach(() => {
  for (const app of apps.splice(0)) app.unmount();
});

function mount(component: Component, setup?: (app: App) => void): HTMLElement {
  const el = document.createElement('div');
  const app = createApp(component);
  setup?.(app);
  app.mount(el);
  apps.push(app);
  return el;
}

const Session = defineComponent({
  props: { broker: { type: Object, default: undefined } },
  setup(props) {
    const session = useSession(props.broker as ReturnType<typeof fakeSessionSource> | undefined);
    return () =>
      h(
        'p',
        `${session.value.status} ${session.value.sub ?? '-'} ${session.value.claims?.name ?? '-'} g${session.value.generation}`,
      );
  },
});

describe('sw-token-broker/vue', () => {
  it('useSession follows login, refresh and logout, and unsubscribes when the component unmounts', async () => {
    const broker = fakeSessionSource();
    const el = mount(defineComponent({ setup: () => () => h(Session, { broker }) }));
    expect(el.textContent).toBe('loading - - g0');
    broker.broadcast({ type: 'session', generation: 1, expiresIn: 60_000, identity: ADA });
    await nextTick();
    expect(el.textContent).toBe('authenticated ada Ada Lovelace g1');
    broker.broadcast({
      type: 'refreshed',
      generation: 2,
      expiresIn: 60_000,
      trigger: 'explicit',
      identity: ADA,
    });
    await nextTick();
    expect(el.textContent).toBe('authenticated ada Ada Lovelace g2');
    broker.broadcast({ type: 'logout', reason: 'refresh-rejected' });
    await nextTick();
    expect(el.textContent).toBe('unauthenticated - - g0');
    expect(broker.listeners()).toBe(1);
    apps.pop()?.unmount();
    expect(broker.listeners()).toBe(0);
  });

  it('reads the plugin, given as a ref that is null until registration finished', async () => {
    const broker = fakeSessionSource();
    broker.broadcast({ type: 'session', generation: 3, expiresIn: 60_000, identity: ADA });
    const client = shallowRef<TokenBrokerClient | null>(null);
    let seen: unknown = 'unset';
    const Probe = defineComponent({
      setup() {
        seen = useTokenBroker();
        return () => h(Session);
      },
    });
    const el = mount(Probe, (app) => app.use(tokenBrokerPlugin(client)));
    expect(el.textContent).toBe('loading - - g0');
    expect(seen).toBeNull();
    client.value = broker as unknown as TokenBrokerClient;
    await nextTick();
    expect(el.textContent).toBe('authenticated ada Ada Lovelace g3');
    expect(broker.listeners()).toBe(1);
  });
});
