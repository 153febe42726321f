import type { DeclarativeConfig } from '../shared/config.js';
import {
  DEFAULT_API_PATHS,
  DEFAULT_BACKOFF_SECONDS,
  DEFAULT_MAX_REFRESH_ATTEMPTS,
  DEFAULT_MAX_REPLAY_BODY_BYTES,
  DEFAULT_REFRESH_LEAD_SECONDS,
  DEFAULT_REFRESH_TIMEOUT_SECONDS,
  DEFAULT_REQUEST_WAIT_SECONDS,
} from '../shared/defaults.js';
import { TokenBrokerError } from '../shared/errors.js';
import { PRESETS } from './formats/index.js';
import { checkConfigFields, DEFAULT_LIMITS, type ConfigLimits } from './config-rules.js';
import type { TokenFields } from './token-response.js';

/** Function hooks, available to apps that own their worker (`installTokenBroker`). */
export interface TokenEndpointHooks {
  /** Builds the refresh request instead of the `format` preset (sw/formats/). */
  buildRequest?: (refreshToken: string, config: ResolvedConfig) => Request;
  /** Reads the token response instead of the preset; the result is still validated. */
  parseResponse?: (response: Response) => Promise<TokenFields>;
  /** Decides whether a non-2xx refresh answer ends the session. @default the preset's rule: 400/401 with `invalid_grant` (GoTrue: its reuse codes too) */
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
  maxReplayBodyBytes: number;
  revealAccessToken: boolean;
  respectExistingAuthorization: boolean;
  debug: boolean;
  /** Send DPoP proofs (RFC 9449) with the session's key. */
  dpop: boolean;
  /** The `format` preset's hooks with the app's own merged over them. */
  hooks: Required<TokenEndpointHooks>;
}

/** The preset with every hook the app passed in its place. */
function withHooks(
  preset: Required<TokenEndpointHooks>,
  app: TokenEndpointHooks,
): Required<TokenEndpointHooks> {
  return {
    buildRequest: app.buildRequest ?? preset.buildRequest,
    parseResponse: app.parseResponse ?? preset.parseResponse,
    isDefinitiveRejection: app.isDefinitiveRejection ?? preset.isDefinitiveRejection,
  };
}

/** Parses a URL option against the worker's origin: http(s) only, no credentials. */
function parseUrl(value: string, origin: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch (cause) {
    throw new TokenBrokerError('invalid-config', `${name} is not a URL: ${JSON.stringify(value)}`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TokenBrokerError(
      'invalid-config',
      `${name} must be an http(s) URL, not ${JSON.stringify(value)}`,
    );
  if (url.username !== '' || url.password !== '')
    throw new TokenBrokerError('invalid-config', `${name} must not carry credentials`);
  return url;
}

/**
 * Applies defaults and rejects configs that could send tokens somewhere unintended or that
 * would hurt the session. Every option is checked for type and range first (sw/config-rules.ts);
 * anything wrong throws `invalid-config` naming the option, never another code.
 */
export function resolveConfig(
  config: TokenBrokerConfig,
  origin: string,
  limits: ConfigLimits = DEFAULT_LIMITS,
): ResolvedConfig {
  checkConfigFields(config, limits);
  const allowedOrigins = new Set(config.allowedOrigins ?? []);
  const url = (value: string, name: string): URL => {
    const parsed = parseUrl(value, origin, name);
    if (parsed.origin !== origin && !allowedOrigins.has(parsed.origin)) {
      throw new TokenBrokerError(
        'invalid-config',
        `${name} must be same-origin or listed in allowedOrigins, not ${parsed.origin}`,
      );
    }
    return parsed;
  };
  const ms = (seconds: number | undefined, fallback: number): number => (seconds ?? fallback) * 1000;
  return {
    origin,
    tokenEndpoint: url(config.tokenEndpoint, 'tokenEndpoint'),
    format: config.format ?? 'json',
    clientId: config.clientId,
    scope: config.scope,
    apiKey: config.apiKey,
    apiPaths: config.apiPaths ?? [...DEFAULT_API_PATHS],
    allowedOrigins,
    excludePaths: config.excludePaths ?? [],
    loginEndpoint: config.loginEndpoint === undefined ? null : url(config.loginEndpoint, 'loginEndpoint'),
    revocationEndpoint:
      config.revocationEndpoint === undefined ? null : url(config.revocationEndpoint, 'revocationEndpoint'),
    refreshLeadMs: ms(config.refreshLeadSeconds, DEFAULT_REFRESH_LEAD_SECONDS),
    refreshTimeoutMs: ms(config.refreshTimeoutSeconds, DEFAULT_REFRESH_TIMEOUT_SECONDS),
    requestWaitMs: ms(config.requestWaitSeconds, DEFAULT_REQUEST_WAIT_SECONDS),
    backoff: {
      initialMs: ms(config.backoff?.initialSeconds, DEFAULT_BACKOFF_SECONDS.initialSeconds),
      maxMs: ms(config.backoff?.maxSeconds, DEFAULT_BACKOFF_SECONDS.maxSeconds),
    },
    maxRefreshAttempts: config.maxRefreshAttempts ?? DEFAULT_MAX_REFRESH_ATTEMPTS,
    maxReplayBodyBytes: config.maxReplayBodyBytes ?? DEFAULT_MAX_REPLAY_BODY_BYTES,
    revealAccessToken: config.revealAccessToken ?? true,
    respectExistingAuthorization: config.respectExistingAuthorization ?? true,
    debug: config.debug === true,
    dpop: config.dpop === true,
    hooks: withHooks(PRESETS[config.format ?? 'json'], config),
  };
}

/** `resolveConfig`, or null for a config that fails the rules (e.g. one stored by an older version). */
export function safeResolve(
  config: TokenBrokerConfig,
  origin: string,
  limits?: ConfigLimits,
): ResolvedConfig | null {
  try {
    return resolveConfig(config, origin, limits);
  } catch {
    return null;
  }
}

/** The plain-data part of a config, safe to persist and to compare. */
export function declarativePart(config: TokenBrokerConfig): DeclarativeConfig {
  const { buildRequest: _b, parseResponse: _p, isDefinitiveRejection: _i, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as DeclarativeConfig;
}
