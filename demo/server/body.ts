import type { IncomingMessage } from 'node:http';

export const BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The raw request body, or null when it exceeds `limit`. An oversized body is still read to the
 * end (and discarded) so the client gets to see the 413 instead of a broken pipe.
 */
export function readBody(req: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks, size) : null));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

export type Fields = Record<string, unknown>;

/**
 * Fields of a JSON object or form-encoded body; null when the body is neither.
 * Without a telling Content-Type, a body starting with `{` is tried as JSON, anything else as a form.
 */
export function parseFields(body: Buffer, contentType: string | undefined): Fields | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = body.toString('utf8');
  const asJson =
    type === 'application/json' ||
    type.endsWith('+json') ||
    (type !== 'application/x-www-form-urlencoded' && text.trimStart().startsWith('{'));
  if (asJson) {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : null;
    } catch {
      return null;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** A non-empty string field, else undefined. */
export function stringField(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
