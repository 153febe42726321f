import type { DeclarativeConfig } from '../shared/config.js';
import { TokenBrokerError } from '../shared/errors.js';
import type { TokenFields } from './token-response.js';

/** Function hooks, available to apps that own their worker (`installTokenBroker`). */
export interface TokenEndpointHooks {
  /** Builds the refresh request instead of the `format` preset. */
  buildRequest?: (refreshToken: string, config: ResolvedConfig) => Request;
  /** Reads the token response instead of the preset; the result is still validated. */
  parseResponse?: (response: Response) => Promise<TokenFields>;
  /** Decides whether a non-2xx refresh answer ends the session. @default 400/401 with `invalid_grant` (GoTrue: its reuse codes too) */
  isDefinitiveRejection?: (status: number, body: unknown) => boolean;
}

/** Everything `installTokenBroker` accepts. */
export interface TokenBrokerConfig extends DeclarativeConfig, TokenEndpointHooks {}

/** Config with defaults applied and URLs parsed. */
export interface ResolvedConfig {
  origin: string;
  tokenEndpoint: URL;
  format: NonNullable<DeclarativeConfig['format']>;
  clientId: string | undefined;
  scope: string | undefined;
  apiKey: string | undefined;
  apiPaths: string[];
  allowedOrigins: ReadonlySet<string>;
  excludePaths: string[];
  loginEndpoint: URL | null;
  revocationEndpoint: URL | null;
  refreshLeadMs: number;
  refreshTimeoutMs: number;
  requestWaitMs: number;
  backoff: { initialMs: number; maxMs: number };
  maxRefreshAttempts: number;
  revealAccessToken: boolean;
  respectExistingAuthorization: boolean;
  debug: boolean;
  hooks: TokenEndpointHooks;
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TokenBrokerError('invalid-config', `${name} must be a non-negative number`);
  return v * 1000;
}

function parseUrl(value: string, origin: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch (cause) {
    throw new TokenBrokerError('invalid-config', `${name} is not a URL`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TokenBrokerError('invalid-config', `${name} must be http(s)`);
  return url;
}

/** Applies defaults and rejects configs that could send tokens somewhere unintended. */
export function resolveConfig(config: TokenBrokerConfig, origin: string): ResolvedConfig {
  if (!config || typeof config.tokenEndpoint !== 'string') throw new TokenBrokerError('invalid-config', 'tokenEndpoint is required');
  const allowedOrigins = new Set((config.allowedOrigins ?? []).map((o) => parseUrl(o, origin, 'allowedOrigins').origin));
  const trusted = (url: URL, name: string): URL => {
    if (url.origin !== origin && !allowedOrigins.has(url.origin)) {
      throw new TokenBrokerError('invalid-config', `${name} must be same-origin or listed in allowedOrigins`);
    }
    return url;
  };
  const apiPaths = config.apiPaths ?? ['/api/'];
  for (const p of [...apiPaths, ...(config.excludePaths ?? [])]) {
    if (typeof p !== 'string' || !p.startsWith('/')) throw new TokenBrokerError('invalid-config', 'paths must start with "/"');
  }
  const format = config.format ?? 'json';
  if (!['json', 'oauth2', 'gotrue'].includes(format)) throw new TokenBrokerError('invalid-config', `unknown format ${String(format)}`);
  const attempts = config.maxRefreshAttempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1) throw new TokenBrokerError('invalid-config', 'maxRefreshAttempts must be a positive integer');
  return {
    origin,
    tokenEndpoint: trusted(parseUrl(config.tokenEndpoint, origin, 'tokenEndpoint'), 'tokenEndpoint'),
    format,
    clientId: config.clientId,
    scope: config.scope,
    apiKey: config.apiKey,
    apiPaths,
    allowedOrigins,
    excludePaths: config.excludePaths ?? [],
    loginEndpoint: config.loginEndpoint ? trusted(parseUrl(config.loginEndpoint, origin, 'loginEndpoint'), 'loginEndpoint') : null,
    revocationEndpoint: config.revocationEndpoint
      ? trusted(parseUrl(config.revocationEndpoint, origin, 'revocationEndpoint'), 'revocationEndpoint')
      : null,
    refreshLeadMs: seconds(config.refreshLeadSeconds, 30, 'refreshLeadSeconds'),
    refreshTimeoutMs: seconds(config.refreshTimeoutSeconds, 10, 'refreshTimeoutSeconds'),
    requestWaitMs: seconds(config.requestWaitSeconds, 10, 'requestWaitSeconds'),
    backoff: {
      initialMs: seconds(config.backoff?.initialSeconds, 0.5, 'backoff.initialSeconds'),
      maxMs: seconds(config.backoff?.maxSeconds, 30, 'backoff.maxSeconds'),
    },
    maxRefreshAttempts: attempts,
    revealAccessToken: config.revealAccessToken ?? true,
    respectExistingAuthorization: config.respectExistingAuthorization ?? true,
    debug: config.debug === true,
    hooks: { buildRequest: config.buildRequest, parseResponse: config.parseResponse, isDefinitiveRejection: config.isDefinitiveRejection },
  };
}

/** The plain-data part of a config, safe to persist and to compare. */
export function declarativePart(config: TokenBrokerConfig): DeclarativeConfig {
  const { buildRequest: _b, parseResponse: _p, isDefinitiveRejection: _i, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as DeclarativeConfig;
}
