import { createRoot } from 'react-dom/client';
import { registerTokenBroker } from 'sw-token-broker';
import { TokenBrokerProvider, useSession, useTokenBroker } from 'sw-token-broker/react';

function Account() {
  const { status, sub, claims } = useSession(); // re-renders on login, refresh and logout in any tab
  const broker = useTokenBroker();
  if (status === 'loading') return <p>…</p>;
  if (status === 'unauthenticated') return <a href="/login">Sign in</a>;
  return (
    <p>
      {claims?.name ?? claims?.email ?? sub}{' '}
      <button type="button" onClick={() => broker?.logout()}>
        Sign out
      </button>
    </p>
  );
}

const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
createRoot(document.getElementById('root') as HTMLElement).render(
  <TokenBrokerProvider broker={broker}>
    <Account />
  </TokenBrokerProvider>,
);
