import { TokenBrokerError } from '../../shared/errors.js';

/** The fields of a provider's discovery document (OpenID Connect Discovery 1.0 §3) the helper uses. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  /** RFC 7009: the worker revokes the refresh token here on logout. */
  revocation_endpoint?: string;
  /** RP-Initiated Logout 1.0: `logout()` sends the browser here after the worker's logout. */
  end_session_endpoint?: string;
  /** RFC 9207: the provider names itself in every authorization response (`iss`). */
  authorization_response_iss_parameter_supported?: boolean;
}

const fail = (message: string, cause?: unknown): never => {
  throw new TokenBrokerError('discovery-failed', message, cause === undefined ? undefined : { cause });
};

function absoluteUrl(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !URL.canParse(value)) fail(`${name} is not an absolute URL`);
  return value as string;
}

/**
 * Checks a discovery document: the issuer it names must be exactly the one asked for
 * (Discovery §4.3, so a document served elsewhere cannot redirect the login), and every
 * endpoint used must be an absolute URL.
 */
export function checkMetadata(value: unknown, issuer: string): ProviderMetadata {
  if (typeof value !== 'object' || value === null) return fail('the discovery document is not a JSON object');
  const doc = value as Record<string, unknown>;
  if (doc.issuer !== issuer)
    fail(
      `the discovery document names the issuer ${JSON.stringify(doc.issuer)}, not ${JSON.stringify(issuer)}`,
    );
  const metadata: ProviderMetadata = {
    issuer,
    authorization_endpoint:
      absoluteUrl(doc.authorization_endpoint, 'authorization_endpoint') ??
      fail('authorization_endpoint is missing'),
    token_endpoint: absoluteUrl(doc.token_endpoint, 'token_endpoint') ?? fail('token_endpoint is missing'),
  };
  const revocation = absoluteUrl(doc.revocation_endpoint, 'revocation_endpoint');
  if (revocation) metadata.revocation_endpoint = revocation;
  const endSession = absoluteUrl(doc.end_session_endpoint, 'end_session_endpoint');
  if (endSession) metadata.end_session_endpoint = endSession;
  if (doc.authorization_response_iss_parameter_supported === true)
    metadata.authorization_response_iss_parameter_supported = true;
  return metadata;
}

/** A provider that does not answer discovery within this long is treated as unreachable. */
const DISCOVERY_TIMEOUT_MS = 10_000;

const cacheKey = (issuer: string): string => `sw-token-broker:oidc:metadata:${issuer}`;

async function fetchDocument(url: string): Promise<unknown> {
  const response = await fetch(url, {
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
  }).catch((error: unknown) => fail(`could not fetch ${url}`, error));
  if (!response.ok) fail(`${url} answered ${response.status}`);
  return response.json().catch((error: unknown) => fail(`${url} is not JSON`, error));
}

/**
 * Fetches and checks `<issuer>/.well-known/openid-configuration` (Discovery §4.1). The last
 * good document is kept in localStorage and used when the provider cannot be reached or
 * answers with an error: a provider outage must not keep a logged-in app from starting (its
 * worker refreshes on its own). A document that fails the checks is never used.
 */
export async function fetchMetadata(issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    body = await fetchDocument(url);
  } catch (error) {
    const cached = localStorage.getItem(cacheKey(issuer));
    if (cached === null) throw error;
    try {
      return checkMetadata(JSON.parse(cached), issuer);
    } catch {
      throw error;
    }
  }
  const metadata = checkMetadata(body, issuer);
  localStorage.setItem(cacheKey(issuer), JSON.stringify(metadata));
  return metadata;
}
