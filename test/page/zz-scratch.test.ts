import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, it } from 'vitest';
import { callWorker } from '../../src/transport.js';
import { fakeWorker, tokenServer, uniqueStore } from './worker-harness.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

it('gc release', async () => {
  const errors: unknown[] = [];
  process.on('unhandledRejection', (e) => errors.push(e));
  const w = fakeWorker(uniqueStore(), tokenServer().fetch);
  const s = await callWorker('status', [], { target: () => w.worker, timeoutMs: 1000 });
  expect(s.loggedIn).toBe(false);
  for (let i = 0; i < 10; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
  console.log('posts', w.posts.length, JSON.stringify(w.posts), errors);
  w.close();
});
