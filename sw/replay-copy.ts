/** Bodies being measured at once pass at most this many times the per-body limit in total. */
export const REPLAY_POOL_FACTOR = 4;

/** Bytes the worker's body measurements have read and not yet given back, over all requests. */
export interface ReplayPool {
  held: number;
}

/** The copy of a request kept for the one replay after a 401. */
export interface ReplayCopy {
  /** The request to replay, its body unread; null when it cannot be replayed (over a limit, failed, discarded). */
  readonly request: Promise<Request | null>;
  /** Stops reading and lets the copy go: the first answer needs no replay. */
  discard(): void;
}

/**
 * Keeps a copy of `request` for a replay, taken before the first send, which then sends the
 * page's body as the browser gave it (docs/platform-facts.md §16). The copy itself stays unread
 * (a blob-backed body costs nothing to clone and is replayed with its Content-Length), but the
 * worker cannot see a body's size, and a clone of a streamed body holds what it has not read: so
 * a second clone is read, and dropped, alongside the first send, to measure the body. It must:
 * - read at most `limit` bytes of this body and `limit × REPLAY_POOL_FACTOR` over all bodies being
 *   measured: past either it cancels both clones and resolves null (the request is sent once), so
 *   what a streamed body's clones queue stays within the limit too;
 * - resolve null on a body stream that errors, and after `discard()`;
 * - give back what it counted to `pool` once it resolves, exactly once (not at `discard()`: a
 *   caller that never discards must not shrink the pool for good).
 */
export function keepReplayCopy(request: Request, limit: number, pool: ReplayPool): ReplayCopy {
  const copy = request.clone();
  const probe = request.clone();
  let dropped = false;
  // Not awaited: one branch of a tee settles its cancel only with the other's.
  const cancel = (stream: ReadableStream | null | undefined) => void stream?.cancel().catch(() => undefined);
  const outcome = (fits: boolean): Request | null => {
    if (fits && !dropped) return copy;
    cancel(copy.body);
    return null;
  };
  // Firefox has no `Request.body` (no request streams): its bodies are fixed-size, so the
  // browser's own Blob of the probe tells the size.
  if (probe.body === undefined) {
    return {
      request: probe.blob().then(
        (blob) => outcome(blob.size <= limit),
        () => outcome(false),
      ),
      discard: () => {
        dropped = true;
      },
    };
  }
  const reader = (probe.body as ReadableStream<Uint8Array>).getReader();
  const measure = async (): Promise<boolean> => {
    let size = 0;
    try {
      for (;;) {
        const next = await reader.read();
        if (dropped || next.done) return !dropped;
        const n = next.value.byteLength;
        if (size + n > limit || pool.held + n > limit * REPLAY_POOL_FACTOR) {
          reader.cancel().catch(() => undefined);
          return false;
        }
        size += n;
        pool.held += n;
      }
    } catch {
      return false;
    } finally {
      pool.held -= size;
    }
  };
  return {
    request: measure().then(outcome),
    discard: () => {
      dropped = true;
      reader.cancel().catch(() => undefined);
    },
  };
}
