import { isTokenBrokerError, registerTokenBroker } from 'sw-token-broker';
import { discoverOidc } from 'sw-token-broker/oidc';

const oidc = await discoverOidc({
  issuer: 'https://auth.example.com',
  clientId: 'my-spa',
  redirectUri: `${location.origin}/callback`,
});
// The provider must issue DPoP-bound tokens (e.g. oidc-provider: features.dPoP, dpop_bound_access_tokens).
const broker = await registerTokenBroker({
  worker: { ...oidc.workerConfig({ apiPaths: ['/api/'] }), dpop: true },
});

await fetch('/api/me'); // the worker adds Authorization: DPoP <token> and a fresh proof
await broker.getAccessToken().catch((e: unknown) => {
  if (isTokenBrokerError(e, 'dpop-bound')) console.info('send the request through the worker instead');
});
