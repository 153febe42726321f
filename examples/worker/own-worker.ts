// sw.ts
import { installTokenBroker } from 'sw-token-broker/sw';

installTokenBroker({
  tokenEndpoint: 'https://auth.example.com/oauth/token',
  allowedOrigins: ['https://auth.example.com', 'https://api.example.com'],
  apiPaths: ['/v1/'],
  format: 'oauth2',
  clientId: 'my-spa',
});
// ...then your precaching and routes. Install the broker first so API requests reach it.
