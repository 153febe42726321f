import type { TokenBrokerClient } from 'sw-token-broker';

declare const broker: TokenBrokerClient;
declare function pausePolling(ms: number): void;

// Requests in flight back to back keep an old worker version from handing over.
broker.on('update-stalled', () => pausePolling(1000));
