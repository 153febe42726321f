import { isErrorCode } from './errors.js';
import { isSessionIdentity } from './identity.js';
import type { BroadcastMessage } from './protocol.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const TRIGGERS: readonly unknown[] = ['proactive', 'unauthorized', 'explicit'];
// Optional: workers before 0.2 send none.
const isIdentityField = (v: unknown): boolean => v === undefined || v === null || isSessionIdentity(v);

/**
 * True for a well-formed broker broadcast. Anything can post on a BroadcastChannel of the
 * origin (another library, an older version, a bug), so tabs and workers act only on
 * messages that pass this and ignore the rest.
 */
export function isBroadcastMessage(data: unknown): data is BroadcastMessage {
  if (!isObject(data)) return false;
  switch (data.type) {
    case 'logout':
      // Any kebab-case reason: newer workers may end sessions for reasons this page does not know yet.
      return typeof data.reason === 'string' && /^[a-z][a-z-]*$/.test(data.reason);
    case 'refreshed':
      return (
        isCount(data.generation) &&
        isCount(data.expiresIn) &&
        TRIGGERS.includes(data.trigger) &&
        isIdentityField(data.identity)
      );
    case 'session':
      return isCount(data.generation) && isCount(data.expiresIn) && isIdentityField(data.identity);
    case 'error':
      return isObject(data.error) && isErrorCode(data.error.code) && typeof data.error.message === 'string';
    default:
      return false;
  }
}
