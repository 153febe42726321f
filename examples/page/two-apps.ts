import { isTokenBrokerError, registerTokenBroker } from 'sw-token-broker';

declare function offerReload(message: string): void; // e.g. a "new version available" banner

// The admin app of an origin that also serves a shop under /shop/: each app registers the
// prebuilt sw.js under its own scope and name, so they share no worker, database, channel or lock.
const broker = await registerTokenBroker({
  scriptUrl: '/sw.js', // registered as /sw.js?name=admin&api=%2Fapi%2Fadmin%2F&login=…
  scope: '/admin/',
  name: 'admin',
  worker: {
    configVersion: 3, // raise it with every change to this config
    tokenEndpoint: '/api/auth/refresh',
    loginEndpoint: '/api/auth/login',
    apiPaths: ['/api/admin/'],
  },
}).catch((error: unknown) => {
  // An older bundle of this app (its config lost to a newer version): load the current one.
  if (isTokenBrokerError(error, 'config-conflict')) offerReload(error.message);
  throw error;
});
broker.on('error', ({ error }) => {
  // A newer deployment replaced the worker's config while this tab was open.
  if (error.code === 'config-conflict') offerReload(error.message);
});
