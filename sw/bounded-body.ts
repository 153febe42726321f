/**
 * Reads a response body whole if it fits in `limit` bytes. Past the limit it stops, cancels the
 * rest and resolves `null`: the worker never holds more than `limit` bytes of a body it inspects.
 */
export async function readBodyUpTo(
  response: Response,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  for (;;) {
    const next = reader ? await reader.read() : { done: true as const, value: undefined };
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.byteLength;
    if (size > limit) {
      // Not awaited: cancelling one branch of a tee (a clone) settles only once the other branch
      // is cancelled too (Streams spec, ReadableStreamDefaultTee), which is the caller's to do.
      reader?.cancel().catch(() => undefined);
      return null;
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}
