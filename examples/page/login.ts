import { registerTokenBroker } from 'sw-token-broker';

const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
const response = await fetch('/api/auth/login', {
  method: 'POST',
  body: JSON.stringify({ username: 'demo', password: 'demo' }),
});
const {
  access_token: accessToken,
  refresh_token: refreshToken,
  expires_in: expiresIn,
} = await response.json();

await broker.setSession({ accessToken, refreshToken, expiresIn });
