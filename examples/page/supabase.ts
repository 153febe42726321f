import { registerTokenBroker } from 'sw-token-broker';
import { supabaseWithBroker } from './supabase-bridge.js';

const SUPABASE_URL = 'https://your-project-ref.supabase.co';
const SUPABASE_ANON_KEY = 'your-anon-key';

const broker = await registerTokenBroker({
  worker: {
    tokenEndpoint: `${SUPABASE_URL}/auth/v1/token`,
    format: 'gotrue',
    apiKey: SUPABASE_ANON_KEY,
    allowedOrigins: [SUPABASE_URL],
    apiPaths: ['/rest/v1/', '/storage/v1/', '/functions/v1/'],
    // The worker captures the password login's answer and keeps the refresh token to itself.
    loginEndpoint: `${SUPABASE_URL}/auth/v1/token`,
    // supabase-js may send `Authorization: Bearer <anon key>`: let the worker put the user's token there.
    respectExistingAuthorization: false,
  },
});

const { supabase, signInWithPassword, signOut } = supabaseWithBroker(SUPABASE_URL, SUPABASE_ANON_KEY, broker);
await signInWithPassword('user@example.com', 'their password');

const { data: todos } = await supabase.from('todos').select();
await supabase.storage.from('avatars').upload('me.png', new Blob(['…']), { upsert: true });
await supabase.functions.invoke('hello', { body: { name: 'me' } });
supabase.channel('room').subscribe(); // Realtime carries the user's token, renewed on every refresh
console.log(todos, broker.snapshot().claims?.email);
await signOut();
