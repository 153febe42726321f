// app/main.ts: the page. `injectRegister: false`: the broker's client registers the worker.
import { registerTokenBroker } from 'sw-token-broker';

const out = document.querySelector<HTMLPreElement>('#out')!;
const button = (id: string): HTMLButtonElement => document.querySelector<HTMLButtonElement>(`#${id}`)!;
const show = (text: string): void => {
  out.textContent = text;
};

async function start(): Promise<void> {
  const broker = await registerTokenBroker({ scriptUrl: '/sw.js' });
  broker.on('logout', ({ reason }) => show(`logged out (${reason})`));
  // A new version waits: let the user choose when it takes over (no uninvited reload).
  broker.on('update-waiting', () => (button('update').hidden = false));
  button('update').onclick = async () => {
    if (await broker.applyUpdate()) location.reload();
  };
  button('login').onclick = async () => {
    // The worker captures the tokens from this answer; the page never sees the refresh token.
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'demo', password: 'demo' }),
    });
    show(response.ok ? 'logged in' : `login failed: ${response.status}`);
  };
  button('load').onclick = async () => {
    // NetworkFirst: fresh when the network answers, else the cached copy, else a network error.
    const response = await fetch('/api/me').catch(() => null);
    show(response ? `${response.status} ${await response.text()}` : 'offline, nothing cached');
  };
  button('logout').onclick = () => void broker.logout();
  document.body.dataset.ready = 'true';
}

void start();
