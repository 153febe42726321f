import { registerTokenBroker } from 'sw-token-broker';
import { tokenBrokerPlugin, useSession, useTokenBroker } from 'sw-token-broker/vue';
import { createApp, defineComponent, h } from 'vue';

// In a single-file component: `const session = useSession()` in `<script setup>`, and the
// template reads `session.status`, `session.claims?.name`, …
const Account = defineComponent({
  setup() {
    const session = useSession(); // a read-only ref, replaced on login, refresh and logout in any tab
    const broker = useTokenBroker();
    return () => {
      const { status, sub, claims } = session.value;
      if (status === 'loading') return h('p', '…');
      if (status === 'unauthenticated') return h('a', { href: '/login' }, 'Sign in');
      return h('p', [claims?.name ?? sub, h('button', { onClick: () => broker?.logout() }, 'Sign out')]);
    };
  },
});

const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
createApp(Account).use(tokenBrokerPlugin(broker)).mount('#app');
