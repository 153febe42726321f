export { createTokenBroker, registerTokenBroker } from './client.js';
export type { RegisterOptions, TokenBrokerClient, ClientStatus } from './client.js';
export type { TokenBrokerEvents, EventName } from './events.js';
export type { AxiosLike, AxiosAdapters } from './axios.js';
export { TokenBrokerError, isTokenBrokerError } from '../shared/errors.js';
export type { TokenBrokerErrorCode } from '../shared/errors.js';
export { ERROR_HEADER } from '../shared/protocol.js';
export type { BrokerStatus, SessionTokens, LogoutReason, RefreshTrigger } from '../shared/protocol.js';
export type { DeclarativeConfig, TokenEndpointFormat } from '../shared/config.js';
