// Defaults of the declarative config, in one place: the worker applies them (sw/settings.ts,
// sw/config-rules.ts) and the page's copy of the scope rule (src/scope.ts) must agree with it.
// Separate constants, so a bundle takes only the ones it reads.

/** @see DeclarativeConfig.apiPaths */
export const DEFAULT_API_PATHS: readonly string[] = ['/api/'];
/** @see DeclarativeConfig.refreshLeadSeconds */
export const DEFAULT_REFRESH_LEAD_SECONDS = 30;
/** @see DeclarativeConfig.refreshTimeoutSeconds */
export const DEFAULT_REFRESH_TIMEOUT_SECONDS = 10;
/** @see DeclarativeConfig.requestWaitSeconds */
export const DEFAULT_REQUEST_WAIT_SECONDS = 10;
/** @see DeclarativeConfig.backoff */
export const DEFAULT_BACKOFF_SECONDS = { initialSeconds: 0.5, maxSeconds: 30 } as const;
/** @see DeclarativeConfig.maxRefreshAttempts */
export const DEFAULT_MAX_REFRESH_ATTEMPTS = 3;
/** @see DeclarativeConfig.maxReplayBodyBytes */
export const DEFAULT_MAX_REPLAY_BODY_BYTES = 8 * 1024 * 1024;
/** The largest `maxReplayBodyBytes` a config may set. */
export const MAX_REPLAY_BODY_BYTES_LIMIT = 64 * 1024 * 1024;
