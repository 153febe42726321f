/** Replay copies of all requests together hold at most this many times the per-body limit. */
export const REPLAY_POOL_FACTOR = 4;

/** Bytes of replay copies the worker holds at this moment, over all requests. */
export interface ReplayPool {
  held: number;
}

/** The copy of a request body kept for the one replay after a 401. */
export interface ReplayCopy {
  /** The body's bytes, or null when it cannot be replayed (over a limit, failed, discarded). */
  readonly body: Promise<Blob | null>;
  /** Stops reading and frees the bytes: the first answer needs no replay. */
  discard(): void;
}

/**
 * Keeps a copy of `request`'s body for a replay, taken before the first send, which then sends
 * the page's body as the browser gave it (docs/platform-facts.md §16). The worker cannot see a
 * body's size before reading it, and a clone left unread holds the whole of a streamed body, so
 * the copy is read alongside the first send. It must:
 * - hold at most `limit` bytes of this body and `limit × REPLAY_POOL_FACTOR` over all bodies: past
 *   either it cancels its branch and resolves null (the request is sent once);
 * - resolve null on a body stream that errors, and after `discard()`;
 * - give back what it held to `pool` once it resolves or is discarded, exactly once.
 */
export function keepReplayCopy(request: Request, limit: number, pool: ReplayPool): ReplayCopy {
  const clone = request.clone();
  let dropped = false;
  // Firefox has no `Request.body` (no request streams): its bodies are fixed-size, so the
  // browser's own Blob is read whole and judged by its size.
  if (clone.body === undefined) {
    const body = clone.blob().then(
      (blob) => (dropped || blob.size > limit ? null : blob),
      () => null,
    );
    return {
      body,
      discard: () => {
        dropped = true;
      },
    };
  }
  const reader = (clone.body as ReadableStream<Uint8Array>).getReader();
  const read = async (): Promise<Blob | null> => {
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let size = 0;
    try {
      for (;;) {
        const next = await reader.read();
        if (dropped) return null;
        if (next.done) return new Blob(chunks);
        const n = next.value.byteLength;
        if (size + n > limit || pool.held + n > limit * REPLAY_POOL_FACTOR) {
          // Not awaited: one branch of a tee settles its cancel only with the other's.
          reader.cancel().catch(() => undefined);
          return null;
        }
        size += n;
        pool.held += n;
        chunks.push(next.value as Uint8Array<ArrayBuffer>);
      }
    } catch {
      return null;
    } finally {
      pool.held -= size;
    }
  };
  return {
    body: read(),
    discard: () => {
      dropped = true;
      reader.cancel().catch(() => undefined);
    },
  };
}
