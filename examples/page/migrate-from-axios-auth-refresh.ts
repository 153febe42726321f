import axios from 'axios';
import { registerTokenBroker } from 'sw-token-broker';

// Before: createAuthRefreshInterceptor(api, refreshAuthLogic) from axios-auth-refresh (or
// axios-refresh-sync's lock), a request interceptor reading the token from localStorage, and
// a refresh function that posted the refresh token. All three go away: the worker attaches
// the token, refreshes once under its lock and replays 401s, for every tab at once.
export const api = axios.create({ baseURL: '/api' });

const broker = await registerTokenBroker({
  worker: { tokenEndpoint: '/api/auth/refresh', loginEndpoint: '/api/auth/login' },
});
broker.attachAxios(api, axios); // waits for the worker; covers hard-reloaded (uncontrolled) pages

// Before: `if (error.response.status === 401 && refreshFailed) logout()`. Now one event,
// in every tab, only when the session ends: the server definitively rejected the refresh token
// (`refresh-rejected`), a tab logged out (`user-logout`), or storage was lost (`storage-lost`).
broker.on('logout', ({ reason }) => {
  localStorage.removeItem('refresh_token'); // what the old code stored, if anything
  location.assign(`/login?reason=${reason}`);
});
