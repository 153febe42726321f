/** What one tab remembers between `login()` and the callback. */
export interface PendingLogin {
  issuer: string;
  state: string;
  nonce: string;
  verifier: string;
  /** The page `login()` was called from, for the app to return to. */
  returnTo: string;
}

const key = (clientId: string): string => `sw-token-broker:oidc:pending:${clientId}`;

/**
 * Kept in sessionStorage: per tab (two tabs logging in at once do not overwrite each other) and
 * it survives the round trip through the provider. Never in the URL: `state` is all the
 * provider sees of it.
 */
export function savePendingLogin(clientId: string, pending: PendingLogin): void {
  sessionStorage.setItem(key(clientId), JSON.stringify(pending));
}

/**
 * Reads and deletes the pending login in one step, so it is used at most once: a callback
 * replayed from history, or handled twice, finds nothing.
 */
export function takePendingLogin(clientId: string): PendingLogin | null {
  const raw = sessionStorage.getItem(key(clientId));
  sessionStorage.removeItem(key(clientId));
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<PendingLogin> | null;
    const fields = ['issuer', 'state', 'nonce', 'verifier', 'returnTo'] as const;
    return value && fields.every((f) => typeof value[f] === 'string') ? (value as PendingLogin) : null;
  } catch {
    return null;
  }
}
