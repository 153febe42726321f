// supabase-js on the broker, wired by the README's bridge (examples/page/supabase-bridge.ts,
// imported as it is). Exposes `supa` for e2e/interop/supabase.spec.ts; every call answers a
// plain record so the spec can compare it.
import type { RealtimeChannel } from '@supabase/supabase-js';
import { supabaseWithBroker } from '../../../examples/page/supabase-bridge.js';
import { registerTokenBroker } from '../../../src/index.js';
import type { PageConfig } from '../page-config.js';

type Outcome = { ok: boolean; status?: number; data?: unknown; error?: string };

const outcome = (result: { data: unknown; error: unknown; status?: number }): Outcome =>
  result.error
    ? { ok: false, error: String((result.error as { message?: unknown }).message ?? result.error) }
    : { ok: true, data: result.data, ...(result.status === undefined ? {} : { status: result.status }) };

async function start(): Promise<void> {
  const config = (await (await fetch('/interop-config.json')).json()) as PageConfig;
  if (!config.gotrue) throw new Error('the page config has no gotrue');
  const { url, apiKey } = config.gotrue;
  const broker = await registerTokenBroker({ worker: config.worker });
  const bridge = supabaseWithBroker(url, apiKey, broker);
  const { supabase } = bridge;
  let channel: RealtimeChannel | undefined;
  Object.assign(globalThis, {
    supa: {
      broker,
      signIn: (email: string, password: string) => bridge.signInWithPassword(email, password),
      signOut: () => bridge.signOut(),
      refresh: async () => void (await broker.refresh()),
      query: async () => outcome(await supabase.from('todos').select()),
      upload: async () =>
        outcome(
          await supabase.storage.from('avatars').upload('me/a.txt', new Blob(['hello']), { upsert: true }),
        ),
      invoke: async () => outcome(await supabase.functions.invoke('hello', { body: { name: 'me' } })),
      subscribe: () =>
        new Promise<string>((resolve) => {
          channel = supabase.channel('room');
          channel.subscribe((status) => {
            if (status !== 'CHANNEL_ERROR' && status !== 'SUBSCRIBED') return;
            resolve(status);
          });
        }),
      authCallFails: () => {
        try {
          void supabase.auth.getSession();
          return 'no error';
        } catch (error) {
          return String((error as Error).message);
        }
      },
    },
  });
  document.getElementById('state')?.replaceChildren('ready');
  document.body.dataset.ready = 'true';
}

void start().catch((error: unknown) => {
  document.getElementById('state')?.replaceChildren(`startup failed: ${String(error)}`);
  document.body.dataset.ready = 'failed';
});
