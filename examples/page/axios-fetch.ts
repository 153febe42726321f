import axios from 'axios';
import { createTokenBroker } from 'sw-token-broker';

// Created at once, at module level: calls, `broker.fetch` and the attached Axios instance wait
// (bounded) until the worker is ready, so the app's first requests carry the token too.
export const broker = createTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
export const api = axios.create({ baseURL: '/api' });

// Wraps the instance's adapter, below all interceptors; `axios` resolves its default adapters.
const detach = broker.attachAxios(api, axios);
// Sent in the app's first line (a React Query or useEffect fetch), before registration finished;
// plain fetch once the page is controlled (plus an abort tag when it has a signal).
const res = await broker.fetch('/api/me');
console.log(res.status, (await api.get('/me')).data);
detach();
