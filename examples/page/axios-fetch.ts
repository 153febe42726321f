import axios from 'axios';
import { registerTokenBroker } from 'sw-token-broker';

const broker = await registerTokenBroker({ worker: { tokenEndpoint: '/api/auth/refresh' } });
const api = axios.create({ baseURL: '/api' });

const detach = broker.attachAxios(api); // adds nothing while the page is controlled
const res = await broker.fetch('/api/me'); // plain fetch while controlled (plus an abort tag with a signal)
console.log(res.status, (await api.get('/me')).data);
detach();
