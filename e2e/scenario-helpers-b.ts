// Helpers shared by the worker-killed, logout-broadcast, worker-update, no-leak, restart,
// bad-token-responses and worker-restart-call specs. Everything here observes from the outside:
// events the page client emitted, what IndexedDB holds, and page-side request outcomes.
import type { Page } from '@playwright/test';

/** One event the page's client emitted, with the page clock (all tabs share one clock). */
export type { BrokerEvent as RecordedEvent } from './scenario-helpers.js';

/** What the page's IndexedDB holds under db 'sw-token-broker' (or another broker's), store 'session', key 'current'. */
export type StoredSessionView =
  | { kind: 'no-database' }
  | { kind: 'no-session' }
  /** `inflight`: a refresh request carrying the stored refresh token is recorded as unanswered. */
  | { kind: 'session'; generation: unknown; complete: boolean; inflight: boolean };

type DemoGlobal = {
  demo: {
    broker: {
      on(type: string, handler: (payload: Record<string, unknown>) => void): () => void;
      status(): Promise<Record<string, unknown>>;
      refresh(): Promise<Record<string, unknown>>;
      logout(): Promise<void>;
      getAccessToken(): Promise<string>;
    };
  };
};

// One event recorder for every scenario.
export { recordBrokerEvents as recordEvents, brokerEvents as recordedEvents } from './scenario-helpers.js';

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

/** Outcome of one page-side `fetch('/api/me')`: the status, or the error's message. */
export type CallOutcome = { status: number; generation?: number; ms: number } | { error: string; ms: number };

/**
 * Starts `count` `GET /api/me` fetches in the page without awaiting them; their outcomes land
 * in `globalThis.__calls[label]`. Use {@link settledCalls} to read them.
 */
export async function startCalls(page: Page, label: string, count: number): Promise<void> {
  await page.evaluate(
    ({ label, count }) => {
      const g = globalThis as unknown as { __calls?: Record<string, Array<CallOutcome | null>> };
      const calls = (g.__calls ??= {});
      const slots: Array<CallOutcome | null> = (calls[label] = Array.from({ length: count }, () => null));
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        fetch('/api/me', { cache: 'no-store' }).then(
          async (response) => {
            const body = (await response.json().catch(() => ({}))) as { generation?: number };
            slots[i] = {
              status: response.status,
              ms: performance.now() - start,
              ...(typeof body.generation === 'number' ? { generation: body.generation } : {}),
            };
          },
          (error: unknown) => {
            slots[i] = { error: String(error), ms: performance.now() - start };
          },
        );
      }
    },
    { label, count },
  );
}

/** The outcomes of a {@link startCalls} batch; null for calls still pending. */
export function settledCalls(page: Page, label: string): Promise<Array<CallOutcome | null>> {
  return page.evaluate((label) => {
    const g = globalThis as unknown as { __calls?: Record<string, Array<CallOutcome | null>> };
    return g.__calls?.[label] ?? [];
  }, label);
}

/** Calls `demo.broker.<method>()` in the page; resolves with `{ ok, value }` or `{ ok: false, code }`. */
export function brokerCall(
  page: Page,
  method: 'status' | 'refresh' | 'logout' | 'getAccessToken',
): Promise<
  | { ok: true; value: unknown; ms: number }
  | { ok: false; name: string; code: string | undefined; message: string; ms: number }
> {
  return page.evaluate(async (method) => {
    const g = globalThis as unknown as DemoGlobal;
    const start = performance.now();
    try {
      const value = await g.demo.broker[method]();
      return {
        ok: true as const,
        value: method === 'getAccessToken' ? '<token>' : value,
        ms: performance.now() - start,
      };
    } catch (error) {
      const e = error as { name?: string; code?: string; message?: string };
      return {
        ok: false as const,
        name: String(e.name),
        code: e.code,
        message: String(e.message),
        ms: performance.now() - start,
      };
    }
  }, method);
}
