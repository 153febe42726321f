import axios from 'axios';

// Plain application code: no token handling anywhere. The worker attaches the bearer
// token and refreshes it; this file would look the same without sw-token-broker.
export const api = axios.create({ baseURL: '/api' });

export async function meWithFetch(): Promise<unknown> {
  const response = await fetch('/api/me');
  if (!response.ok) throw new Error(`GET /api/me answered ${response.status}`);
  return response.json();
}

export async function meWithAxios(): Promise<unknown> {
  return (await api.get('/me')).data;
}

/**
 * Logs in through the server's login endpoint; the worker captures the tokens. Pass the client's
 * `fetch` so that a hard-reloaded (uncontrolled) page's login is captured by the worker too.
 */
export async function login(
  username: string,
  password: string,
  fetchFn: typeof fetch = fetch,
): Promise<Record<string, unknown>> {
  const response = await fetchFn('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`login failed (${response.status})`);
  return (await response.json()) as Record<string, unknown>;
}
