import { registerTokenBroker } from 'sw-token-broker';

declare function showLoginScreen(reason: string): void;

const broker = await registerTokenBroker({
  scriptUrl: '/sw.js',
  worker: {
    tokenEndpoint: '/api/auth/refresh',
    apiPaths: ['/api/'],
    loginEndpoint: '/api/auth/login', // optional: the worker captures the tokens
    revocationEndpoint: '/api/auth/revoke', // optional: RFC 7009 on logout
  },
});
broker.on('logout', ({ reason }) => showLoginScreen(reason));
