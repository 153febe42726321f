import { registerTokenBroker } from 'sw-token-broker';

const SUPABASE_URL = 'https://your-project-ref.supabase.co';
const SUPABASE_ANON_KEY = 'your-anon-key';

const broker = await registerTokenBroker({
  worker: {
    tokenEndpoint: `${SUPABASE_URL}/auth/v1/token`,
    format: 'gotrue',
    apiKey: SUPABASE_ANON_KEY,
    allowedOrigins: [SUPABASE_URL],
    apiPaths: ['/rest/v1/', '/storage/v1/', '/functions/v1/'],
    // supabase-js sends `Authorization: Bearer <anon key>`: let the worker put the user's token there.
    respectExistingAuthorization: false,
  },
});

const response = await fetch(`${SUPABASE_URL}/auth/v1/token?grant_type=password`, {
  method: 'POST',
  headers: { apikey: SUPABASE_ANON_KEY, 'Content-Type': 'application/json' },
  body: JSON.stringify({ email: 'user@example.com', password: 'their password' }),
});
const session = await response.json();
await broker.setSession({
  accessToken: session.access_token,
  refreshToken: session.refresh_token,
  expiresIn: session.expires_in,
});

const todos = await fetch(`${SUPABASE_URL}/rest/v1/todos`, { headers: { apikey: SUPABASE_ANON_KEY } });
console.log(await todos.json());
