import { describe, expect, it } from 'vitest';
import { ERROR_HEADER } from '../../shared/protocol.js';
import { forwardWithToken } from '../../sw/forward.js';
import { keepReplayCopy, REPLAY_POOL_FACTOR } from '../../sw/replay-copy.js';
import { apiRequest, gate, Rig, type RigOptions, until, within } from './harness.js';

// Request bodies: the first attempt sends the page's body unread, a bounded copy read alongside
// it serves the one replay after a 401 (sw/replay-copy.ts).

const KIB = 1024;

/** Deterministic bytes, different per `seed`. */
function bytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = 0x9e3779b9 ^ seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const b64 = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('base64');

/**
 * A page body that streams: `parts` are enqueued one by one, and the stream closes only when
 * `close` opens (or errors instead, with `fail`). `pulled` counts the bytes the source gave out.
 */
function streamedBody(parts: Uint8Array[]) {
  const end = gate();
  let fail = false;
  const state = { pulled: 0, cancelled: false };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const part = parts[i++];
      if (part) {
        state.pulled += part.byteLength;
        controller.enqueue(part);
        return;
      }
      await end.promise;
      if (fail) controller.error(new TypeError('the page body failed'));
      else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return {
    state,
    stream,
    close: end.open,
    fail: () => {
      fail = true;
      end.open();
    },
  };
}

function upload(body: BodyInit, init: RequestInit = {}): Request {
  return apiRequest('/api/upload', {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream' },
    body,
    duplex: 'half',
    ...init,
  } as RequestInit);
}

/**
 * A logged-in rig whose API rejects the cached token. `forward` sends through a network that
 * logs each API request in `arrivals` as it arrives, before its body is read, and lets
 * `network` answer it instead of the backend.
 */
async function rigWith401(options: RigOptions = {}, network?: (r: Request) => Promise<Response> | null) {
  const arrivals: Request[] = [];
  const rig = new Rig(options);
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    if (new URL(request.url).pathname === '/api/upload') {
      arrivals.push(request);
      const own = network?.(request);
      if (own) return own;
    }
    return rig.backend.fetch(request);
  }) as typeof fetch;
  await rig.login();
  rig.backend.accessToken = 'server-side-expired';
  const forward = (request: Request) =>
    forwardWithToken(rig.broker, request, (p) => void rig.pending.push(p), fetchFn);
  return { rig, arrivals, forward };
}

/** Records the largest value `pool.held` reaches. */
function watchPool(rig: Rig): { max: number } {
  const seen = { max: 0 };
  let held = rig.broker.replayPool.held;
  Object.defineProperty(rig.broker.replayPool, 'held', {
    get: () => held,
    set: (v: number) => {
      held = v;
      seen.max = Math.max(seen.max, v);
    },
  });
  return seen;
}

describe('the first attempt sends the body unread', () => {
  it('goes out before the page has finished producing the body, and carries all of it', async () => {
    const { rig, arrivals, forward } = await rigWith401();
    rig.backend.accessToken = `at-1`; // the token is good: no 401
    const parts = [bytes(16 * KIB, 1), bytes(16 * KIB, 2)];
    const body = streamedBody(parts);
    const res = forward(upload(body.stream));
    // The request reached the network while the page's stream was still open.
    await until(() => arrivals.length === 1);
    body.close();
    expect((await within(res)).status).toBe(200);
    expect(b64(rig.backend.apiCalls[0]?.body)).toBe(b64(new Uint8Array([...parts[0]!, ...parts[1]!])));
    expect(rig.broker.replayPool.held).toBe(0);
  });

  it('a body larger than maxReplayBodyBytes is read no further than the limit beside the send, then let go', async () => {
    const limit = 64 * KIB;
    const { rig, forward } = await rigWith401({ config: { maxReplayBodyBytes: limit } });
    rig.backend.accessToken = 'at-1';
    const pool = watchPool(rig);
    const parts = Array.from({ length: 10 }, (_, i) => bytes(16 * KIB, i));
    const body = streamedBody(parts);
    const res = forward(upload(body.stream));
    await until(() => body.state.pulled === 160 * KIB);
    body.close();
    expect((await within(res)).status).toBe(200);
    expect(rig.backend.apiCalls[0]?.body.byteLength).toBe(160 * KIB);
    expect(pool.max).toBeLessThanOrEqual(limit + 16 * KIB);
    expect(rig.broker.replayPool.held).toBe(0);
  });

  it('keeps no copy of a body sent without a token (no session: no 401 to cure)', async () => {
    const rig = new Rig();
    const pool = watchPool(rig);
    const res = await rig.forward(upload(bytes(32 * KIB)));
    expect(res.status).toBe(401);
    expect(res.headers.has(ERROR_HEADER)).toBe(false);
    expect(pool.max).toBe(0);
  });
});

describe('the replay after a 401', () => {
  it('sends byte-identical bytes from a Blob body, once, after one refresh', async () => {
    const { rig, forward } = await rigWith401();
    const payload = bytes(1024 * KIB, 7);
    const res = await forward(upload(new Blob([payload])));
    expect(res.status).toBe(200);
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.backend.apiCalls.map((c) => [c.auth, b64(c.body)])).toEqual([
      ['Bearer at-1', b64(payload)],
      [`Bearer ${rig.backend.accessToken}`, b64(payload)],
    ]);
    expect(rig.broker.replayPool.held).toBe(0);
  });

  it('replays the whole body when the 401 came before the body was sent (the server did not read it)', async () => {
    let first = true;
    const { rig, arrivals, forward } = await rigWith401({}, () => {
      if (!first) return null;
      first = false;
      return Promise.resolve(new Response(null, { status: 401 }));
    });
    const parts = [bytes(8 * KIB, 3), bytes(8 * KIB, 4)];
    const body = streamedBody(parts);
    const res = forward(upload(body.stream));
    await until(() => arrivals.length === 1);
    body.close();
    expect((await within(res)).status).toBe(200);
    expect(arrivals).toHaveLength(2);
    expect(b64(rig.backend.apiCalls[0]?.body)).toBe(b64(new Uint8Array([...parts[0]!, ...parts[1]!])));
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('a body over the limit is sent once: its 401 reaches the page marked, the token is refreshed, and the retry succeeds', async () => {
    const { rig, forward } = await rigWith401({ config: { maxReplayBodyBytes: 100 * KIB } });
    const payload = bytes(100 * KIB + 1, 9);
    const res = await forward(upload(new Blob([payload])));
    expect(res.status).toBe(401);
    expect(res.headers.get(ERROR_HEADER)).toBe('body-not-replayed');
    expect(await res.json()).toEqual({ error: 'invalid_token' });
    expect(rig.backend.apiCalls).toHaveLength(1);
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.broker.status()).toMatchObject({ generation: 2 });
    // The app's own retry goes out with the new token.
    const retry = await forward(upload(new Blob([payload])));
    expect(retry.status).toBe(200);
    expect(rig.backend.apiCalls.map((c) => b64(c.body))).toEqual([b64(payload), b64(payload)]);
    expect(rig.backend.refreshCount).toBe(1);
  });

  it('a body of exactly the limit is replayed', async () => {
    const { rig, forward } = await rigWith401({ config: { maxReplayBodyBytes: 100 * KIB } });
    const res = await forward(upload(bytes(100 * KIB)));
    expect(res.status).toBe(200);
    expect(rig.backend.apiCalls).toHaveLength(2);
  });

  it('maxReplayBodyBytes: 0 replays no body, but still a request without one', async () => {
    const { rig, forward } = await rigWith401({ config: { maxReplayBodyBytes: 0 } });
    const res = await forward(upload('x'));
    expect([res.status, res.headers.get(ERROR_HEADER)]).toEqual([401, 'body-not-replayed']);
    rig.backend.accessToken = 'server-side-expired';
    expect((await rig.forward(apiRequest('/api/data'))).status).toBe(200);
    expect(rig.backend.refreshCount).toBe(2);
  });

  it('a request aborted while its first attempt is out is not replayed', async () => {
    const controller = new AbortController();
    const { rig, forward } = await rigWith401({}, (request) => {
      controller.abort();
      return request.arrayBuffer().then(() => new Response(null, { status: 401 }));
    });
    const res = await forward(upload(bytes(32 * KIB), { signal: controller.signal }));
    expect(res.type).toBe('error');
    expect(rig.backend.apiCalls).toHaveLength(0);
    await rig.broker.settled();
    expect(rig.broker.replayPool.held).toBe(0);
  });

  it('a page body that fails mid-send fails the request like the network, never replayed', async () => {
    const { rig, arrivals, forward } = await rigWith401();
    const body = streamedBody([bytes(8 * KIB)]);
    const res = forward(upload(body.stream));
    await until(() => arrivals.length === 1);
    body.fail();
    expect((await within(res)).type).toBe('error');
    expect(arrivals).toHaveLength(1);
    expect(rig.backend.refreshCount).toBe(0);
    expect(rig.broker.replayPool.held).toBe(0);
  });

  it(`bodies being measured at once pass at most ${REPLAY_POOL_FACTOR}× the limit: the body past it is sent once`, async () => {
    const limit = 100 * KIB;
    const { rig, forward } = await rigWith401({ config: { maxReplayBodyBytes: limit } });
    const pool = watchPool(rig);
    const bodies = Array.from({ length: REPLAY_POOL_FACTOR + 1 }, (_, i) =>
      streamedBody([bytes(90 * KIB, i)]),
    );
    const responses = bodies.map((b) => forward(upload(b.stream)));
    // Every copy has read its 90 KiB (or given up at the pool's bound) before any body ends.
    await until(() => bodies.every((b) => b.state.pulled === 90 * KIB));
    await until(() => rig.broker.replayPool.held === REPLAY_POOL_FACTOR * 90 * KIB);
    for (const b of bodies) b.close();
    const answers = await within(Promise.all(responses));
    const outcomes = answers.map((r) => `${r.status} ${r.headers.get(ERROR_HEADER)}`);
    expect(outcomes.filter((o) => o === '200 null')).toHaveLength(REPLAY_POOL_FACTOR);
    expect(outcomes.filter((o) => o === '401 body-not-replayed')).toHaveLength(1);
    expect(pool.max).toBeLessThanOrEqual(limit * REPLAY_POOL_FACTOR);
    expect(rig.backend.refreshCount).toBe(1);
    expect(rig.broker.replayPool.held).toBe(0);
  });
});

describe('engines without Request.body (Firefox)', () => {
  /** `request` whose clones have no `body` property, as Firefox ESR 153's requests. */
  function withoutBodyStreams(request: Request): Request {
    const clone = request.clone.bind(request);
    Object.defineProperty(request, 'clone', {
      value: () => Object.defineProperty(clone(), 'body', { value: undefined }),
    });
    return request;
  }

  it('measures the body through a Blob: a body within the limit is kept, unread, with the same bytes', async () => {
    const payload = bytes(50 * KIB, 5);
    const copy = await keepReplayCopy(withoutBodyStreams(upload(payload)), 50 * KIB, { held: 0 }).request;
    expect(copy).not.toBeNull();
    expect(b64(new Uint8Array(await copy!.arrayBuffer()))).toBe(b64(payload));
  });

  it('a body over the limit, or a discarded copy, is not kept', async () => {
    const over = keepReplayCopy(withoutBodyStreams(upload(bytes(50 * KIB + 1))), 50 * KIB, { held: 0 });
    expect(await over.request).toBeNull();
    const dropped = keepReplayCopy(withoutBodyStreams(upload(bytes(10))), 50 * KIB, { held: 0 });
    dropped.discard();
    expect(await dropped.request).toBeNull();
  });
});
