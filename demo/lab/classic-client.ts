import { callId, type TabLabel } from './tab-label.js';

/**
 * The well-known in-page refresh interceptor, written here for the side-by-side comparison:
 * tokens in localStorage, a 401 starts a refresh unless one is running (`isRefreshing`),
 * requests that arrive meanwhile wait in a queue and are replayed once it is done.
 * It is correct inside one tab. Across tabs nothing serialises the refresh: two tabs can
 * present the same refresh token, and a server with rotation and reuse detection then
 * revokes the whole session. It talks to `/classic/*`, outside the worker's apiPaths, as its
 * own OAuth client, so the broker never touches its requests.
 */
export interface ClassicClient {
  loggedIn(): boolean;
  login(): Promise<void>;
  /** What a proactive timer (or a "refresh now" button) calls. Resolves false when it failed. */
  refresh(trigger: 'proactive' | 'explicit' | 'unauthorized'): Promise<boolean>;
  /** `GET /classic/<path>` with the token; a 401 refreshes and replays once. */
  get(path: string): Promise<Response>;
  logout(reason: string): void;
}

const STORAGE_KEY = 'sw-token-broker-demo.classic-tokens';
const CLIENT_ID = 'classic';

interface StoredTokens {
  accessToken: string;
  refreshToken: string;
}

export function createClassicClient(tab: TabLabel, onLogout: (reason: string) => void): ClassicClient {
  let isRefreshing = false;
  const queue: Array<(ok: boolean) => void> = [];

  const read = (): StoredTokens | null => {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredTokens) : null;
  };
  const store = (body: { access_token: string; refresh_token: string }): void =>
    localStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({ accessToken: body.access_token, refreshToken: body.refresh_token }),
    );
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    'X-Demo-Tab': tab.id,
    ...extra,
  });

  // Another tab logged this session out (the storage event fires in the other tabs only).
  addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY && event.newValue === null) onLogout('logged out in another tab');
  });

  function logout(reason: string): void {
    const had = read() !== null;
    localStorage.removeItem(STORAGE_KEY);
    if (had) onLogout(reason);
  }

  async function refresh(trigger: 'proactive' | 'explicit' | 'unauthorized'): Promise<boolean> {
    if (isRefreshing) return new Promise((resolve) => queue.push(resolve));
    isRefreshing = true;
    let ok = false;
    try {
      const tokens = read();
      if (!tokens) return false;
      const response = await fetch('/classic/auth/refresh', {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json', 'X-Demo-Trigger': trigger }),
        body: JSON.stringify({
          grant_type: 'refresh_token',
          refresh_token: tokens.refreshToken,
          client_id: CLIENT_ID,
        }),
      });
      if (response.ok) {
        store((await response.json()) as { access_token: string; refresh_token: string });
        ok = true;
      } else if (response.status === 400 || response.status === 401) {
        logout('refresh token rejected');
      }
      return ok;
    } catch {
      return false;
    } finally {
      isRefreshing = false;
      for (const resolve of queue.splice(0)) resolve(ok);
    }
  }

  async function get(path: string): Promise<Response> {
    const call = callId(tab);
    const send = (): Promise<Response> =>
      fetch(`/classic/${path}`, {
        headers: headers({ Authorization: `Bearer ${read()?.accessToken ?? ''}`, 'X-Demo-Call': call }),
      });
    const first = await send();
    if (first.status !== 401 || !read()) return first;
    if (!(await refresh('unauthorized'))) return first;
    const replay = await send();
    // Refreshed and still refused: the session is gone.
    if (replay.status === 401) logout('replay refused after a refresh');
    return replay;
  }

  return {
    loggedIn: () => read() !== null,
    async login() {
      const response = await fetch('/classic/auth/login', {
        method: 'POST',
        headers: headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify({ username: 'demo', password: 'demo', client_id: CLIENT_ID }),
      });
      if (!response.ok) throw new Error(`classic login failed (${response.status})`);
      store((await response.json()) as { access_token: string; refresh_token: string });
    },
    refresh,
    get,
    logout,
  };
}
