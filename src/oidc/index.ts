export { createOidcLogin, discoverOidc } from './oidc-login.js';
export type { OidcLogin, OidcOptions } from './oidc-login.js';
export type { OidcLoginResult } from './callback.js';
export type { OidcBroker, ProviderError } from './code-exchange.js';
export type { IdTokenClaims } from './id-token.js';
export type { ProviderMetadata } from './metadata.js';
