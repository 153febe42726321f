import type { DeclarativeConfig } from '../../src/index.js';

/** What the interop page reads from `/interop-config.json`. */
export interface PageConfig {
  /** Passed verbatim to `registerTokenBroker({ worker })`. */
  worker: DeclarativeConfig;
  /** Authorization code + PKCE login against an OAuth 2.0 / OIDC provider. */
  oauth?: {
    authorizationEndpoint: string;
    tokenEndpoint: string;
    clientId: string;
    redirectUri: string;
    scope: string;
    /** RFC 8707 resource indicator of the app's API. */
    resource: string;
    /**
     * How the tokens reach the broker: the page calls `setSession` with the code exchange's
     * answer, or the worker captures that answer (`worker.loginEndpoint` = token endpoint).
     */
    handOver: 'setSession' | 'capture';
  };
  /** Password login against a GoTrue (Supabase Auth) server. */
  gotrue?: { url: string; apiKey: string };
}

/** One `/api/` call made by the page: its status, or the error it threw. */
export interface CallResult {
  status: number;
  error?: string;
}
