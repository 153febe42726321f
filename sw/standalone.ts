import { DEFAULT_BROKER_NAME, NAME_PARAM } from '../shared/names.js';
import { BUILTIN_ROUTES, installListeners } from './listeners.js';

// Entry of the prebuilt classic `sw.js`: the config arrives from registerTokenBroker()
// and is persisted, so a restarted worker finds it in IndexedDB. The broker's name (its
// database, channel and locks) comes from the script URL, which the page client sets from
// `registerTokenBroker({ name })`: it is known before any storage is read. So is the scope
// (`?api=…`, shared/route-scope.ts), which lets static routing keep every other request away.
const name = new URLSearchParams(self.location.search).get(NAME_PARAM) ?? DEFAULT_BROKER_NAME;
// No Workbox routes here: the listeners without what only an app's own worker needs.
installListeners(
  undefined,
  { dbName: name, skipWaiting: true, bypassStaticRequests: true, bypassNonApiRequests: true },
  BUILTIN_ROUTES,
);
