import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { TokenBrokerClient } from 'sw-token-broker';

/** supabase-js on the broker's session, and the auth calls that replace `supabase.auth`. */
export interface BrokeredSupabase {
  supabase: SupabaseClient;
  /** GoTrue's password grant, captured by the worker (`loginEndpoint`): the page never sees the refresh token. */
  signInWithPassword(email: string, password: string): Promise<void>;
  /** Ends the GoTrue session (`/auth/v1/logout`), then the broker's session in every tab. */
  signOut(): Promise<void>;
  /** Stops following the broker (Realtime keeps its last token). */
  dispose(): void;
}

export function supabaseWithBroker(
  url: string,
  anonKey: string,
  broker: TokenBrokerClient,
): BrokeredSupabase {
  const supabase = createClient(url, anonKey, {
    // The broker owns the session: supabase-js asks it for the token on every request and never
    // refreshes one itself. With `accessToken` set, `supabase.auth` is unavailable by design.
    accessToken: () => broker.getAccessToken().catch(() => null),
  });
  // Realtime asks `accessToken` again now, not at its next heartbeat: the new token after every
  // login and refresh in any tab, the anon key after a logout.
  const dispose = broker.on('change', () => void supabase.realtime.setAuth());
  return {
    supabase,
    dispose,
    async signInWithPassword(email, password) {
      const response = await broker.fetch(`${url}/auth/v1/token?grant_type=password`, {
        method: 'POST',
        headers: { apikey: anonKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      if (!response.ok) throw new Error(`sign-in failed: ${response.status}`);
    },
    async signOut() {
      const token = await broker.getAccessToken().catch(() => null);
      if (token)
        await fetch(`${url}/auth/v1/logout?scope=local`, {
          method: 'POST',
          headers: { apikey: anonKey, Authorization: `Bearer ${token}` },
        }).catch(() => undefined);
      await broker.logout();
    },
  };
}
