// The bindings page: one React component (sw-token-broker/react) and one Vue component
// (sw-token-broker/vue) render the session; the specs log in, refresh and log out from
// another tab and read the DOM. Each component counts its renders in `data-renders`.
import { createElement, useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { createApp, defineComponent, h } from 'vue';
import { registerTokenBroker } from '../../../src/index.js';
import type { SessionSnapshot } from '../../../src/snapshot.js';
import { TokenBrokerProvider, useSession as useReactSession } from '../../../src/react.js';
import { tokenBrokerPlugin, useSession as useVueSession } from '../../../src/vue.js';
import type { PageConfig } from '../page-config.js';

/** The attributes the specs read: what a real app would show, made machine-readable. */
const attributes = (session: SessionSnapshot, renders: number) => ({
  'data-status': session.status,
  'data-sub': session.sub ?? '',
  'data-email': session.claims?.email ?? '',
  'data-role': session.claims?.role ?? '',
  'data-generation': String(session.generation),
  'data-renders': String(renders),
});

function ReactSession() {
  const session = useReactSession();
  const renders = useRef(0);
  renders.current++;
  return createElement('p', { id: 'react-session', ...attributes(session, renders.current) }, session.status);
}

const VueSession = defineComponent({
  setup() {
    // biome-ignore lint/correctness/useHookAtTopLevel: a Vue composable in setup, not a React hook
    const session = useVueSession();
    let renders = 0;
    return () => h('p', { id: 'vue-session', ...attributes(session.value, ++renders) }, session.value.status);
  },
});

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`bindings.html has no #${id}`);
  return found;
}

async function gotrueLogin(gotrue: PageConfig['gotrue'], email: string, password: string) {
  if (!gotrue) throw new Error('the page config has no gotrue');
  const response = await fetch(`${gotrue.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: gotrue.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`login failed: ${response.status}`);
  return { accessToken: String(body.access_token), refreshToken: String(body.refresh_token) };
}

async function start(): Promise<void> {
  const config = (await (await fetch('/interop-config.json')).json()) as PageConfig;
  const broker = await registerTokenBroker({ worker: config.worker });
  createRoot(element('react')).render(
    createElement(TokenBrokerProvider, { broker }, createElement(ReactSession)),
  );
  createApp(VueSession).use(tokenBrokerPlugin(broker)).mount('#vue');
  Object.assign(globalThis, {
    bindings: {
      login: async (email: string, password: string) =>
        void (await broker.setSession(await gotrueLogin(config.gotrue, email, password))),
      refresh: async () => void (await broker.refresh()),
      logout: () => broker.logout(),
    },
  });
  element('state').textContent = 'ready';
  document.body.dataset.ready = 'true';
}

void start().catch((error: unknown) => {
  element('state').textContent = `startup failed: ${String(error)}`;
  document.body.dataset.ready = 'failed';
});
