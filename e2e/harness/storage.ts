// What the page's IndexedDB holds, read with plain `indexedDB.open` from the page (never
// through the library), without token material.
import type { Page } from '@playwright/test';

/** What the page's IndexedDB holds under db 'sw-token-broker' (or another broker's), store 'session', key 'current'. */
export type StoredSessionView =
  | { kind: 'no-database' }
  | { kind: 'no-session' }
  /** `inflight`: a refresh request carrying the stored refresh token is recorded as unanswered. */
  | { kind: 'session'; generation: unknown; complete: boolean; inflight: boolean };

/**
 * Reads the broker's session record from the page with plain `indexedDB.open`. Never creates
 * the database: an upgrade (i.e. no database yet) is aborted. Returns no token material.
 */
export function readStoredSession(page: Page, dbName = 'sw-token-broker'): Promise<StoredSessionView> {
  return page.evaluate(
    (dbName) =>
      new Promise<StoredSessionView>((resolve, reject) => {
        const request = indexedDB.open(dbName);
        let upgraded = false;
        request.onupgradeneeded = () => {
          upgraded = true;
          request.transaction?.abort();
        };
        request.onerror = () => (upgraded ? resolve({ kind: 'no-database' }) : reject(request.error));
        request.onsuccess = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains('session')) {
            db.close();
            resolve({ kind: 'no-database' });
            return;
          }
          const get = db.transaction('session', 'readonly').objectStore('session').get('current');
          get.onerror = () => {
            db.close();
            reject(get.error);
          };
          get.onsuccess = () => {
            db.close();
            const value = get.result as Record<string, unknown> | undefined;
            if (value === undefined) {
              resolve({ kind: 'no-session' });
              return;
            }
            const str = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
            resolve({
              kind: 'session',
              generation: value.generation,
              complete:
                str(value.accessToken) &&
                str(value.refreshToken) &&
                typeof value.generation === 'number' &&
                str(value.lineage),
              inflight: value.inflight !== undefined,
            });
          };
        };
      }),
    dbName,
  );
}
