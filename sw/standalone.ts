import { installTokenBroker } from './install.js';

// Entry of the prebuilt classic `sw.js`: the config arrives from registerTokenBroker()
// and is persisted, so a restarted worker finds it in IndexedDB.
installTokenBroker(undefined, { skipWaiting: true, bypassStaticRequests: true });
