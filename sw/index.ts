export { installTokenBroker } from './install.js';
export type { InstallOptions, InstalledBroker } from './install.js';
export type { TokenBrokerConfig, TokenEndpointHooks, ResolvedConfig } from './settings.js';
export type { TokenFields } from './token-response.js';
export type { Broker } from './broker.js';
export type { DeclarativeConfig, TokenEndpointFormat } from '../shared/config.js';
export { TokenBrokerError, isTokenBrokerError } from '../shared/errors.js';
export type { TokenBrokerErrorCode } from '../shared/errors.js';
export { ERROR_HEADER } from '../shared/protocol.js';
