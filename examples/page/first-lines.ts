// main.ts: the first lines of an app that uses the prebuilt worker at /sw.js.
import { registerTokenBroker } from 'sw-token-broker';

declare const username: string, password: string; // from your login form

const broker = await registerTokenBroker({
  worker: {
    tokenEndpoint: '/api/auth/refresh',
    loginEndpoint: '/api/auth/login', // the worker keeps the refresh token from this answer
    apiPaths: ['/api/'],
  },
});
broker.on('logout', ({ reason }) => location.assign(`/login?reason=${reason}`));

// Log in with plain fetch: the page gets the answer without `refresh_token`.
await fetch('/api/auth/login', {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ username, password }),
});
const me = await fetch('/api/me'); // carries the access token; refreshed once when due
console.log(me.status);
