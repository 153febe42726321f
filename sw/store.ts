import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DeclarativeConfig } from '../shared/config.js';
import { TokenBrokerError } from '../shared/errors.js';
import {
  type LastSeen,
  readSession,
  toRecord,
  type SessionRecord,
  type StoredSession,
} from './session-record.js';
import { DEFAULT_BROKER_NAME } from '../shared/names.js';

export type { InflightAttempt, StoredSession } from './session-record.js';

interface BrokerDB extends DBSchema {
  session: { key: 'current'; value: SessionRecord };
  config: { key: 'current'; value: DeclarativeConfig };
}

/**
 * What `update` does with the stored session: keep it (`undefined`), replace it, or delete
 * it (`null`). The callback runs inside one IndexedDB transaction and must be synchronous.
 */
export type SessionUpdate = (current: StoredSession | null) => StoredSession | null | undefined;

/** Storage seam: IndexedDB in browsers (and fake-indexeddb in tests). */
export interface SessionStore {
  /** The stored session; a record that fails validation throws `storage-lost`. */
  read(): Promise<StoredSession | null>;
  write(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
  /**
   * Read-decide-write in one transaction: nothing else can write between the read and the
   * write, in any context. This is how a login, a logout and a refresh answer that arrive
   * together all keep their rules without queueing behind the refresh lock. Resolves with the
   * session stored afterwards.
   */
  update(decide: SessionUpdate): Promise<StoredSession | null>;
  readConfig(): Promise<DeclarativeConfig | null>;
  writeConfig(config: DeclarativeConfig): Promise<void>;
}

/** The default broker's database: its name itself (shared/names.ts), no call at import. */
export const DEFAULT_DB_NAME = DEFAULT_BROKER_NAME;

/**
 * The IndexedDB version. It stays 1 while the object stores stay the same: a record's shape is
 * versioned on the record (`SESSION_SCHEMA`), because raising this number makes the open wait
 * until every older connection closes, and 0.1.0 never closes its connection on `versionchange`
 * (its worker would block the new one for as long as it lives: test/sw/storage-upgrade.test.ts,
 * and in Chromium e2e/upgrade.spec.ts).
 */
export const DB_VERSION = 1;

/** How long opening the database may take before it fails `storage-failed` (blocked, wedged). */
export const OPEN_TIMEOUT_MS = 5_000;

/** Opens (lazily, once) the broker's database through idb. */
export function createIdbStore(
  name: string = DEFAULT_DB_NAME,
  openTimeoutMs = OPEN_TIMEOUT_MS,
): SessionStore {
  let db: Promise<IDBPDatabase<BrokerDB>> | undefined;
  const forget = (): void => {
    db = undefined;
  };
  const open = (): Promise<IDBPDatabase<BrokerDB>> => (db ??= connectWithin().catch(openFailed));
  // An open that never settles (blocked by a connection that does not close) must not hang
  // every caller: fail typed, and close the connection if it arrives after all.
  const connectWithin = (): Promise<IDBPDatabase<BrokerDB>> =>
    new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(
          new TokenBrokerError(
            'storage-failed',
            `IndexedDB "${name}" did not open within ${openTimeoutMs} ms`,
          ),
        );
      }, openTimeoutMs);
      connect()
        .then(
          (connection) => (late ? connection.close() : resolve(connection)),
          (cause: unknown) => reject(cause),
        )
        .finally(() => clearTimeout(timer));
    });
  const openFailed = (cause: unknown): never => {
    forget();
    if (cause instanceof TokenBrokerError) throw cause;
    const newer = (cause as { name?: unknown } | null)?.name === 'VersionError';
    const message = newer
      ? `IndexedDB "${name}" was upgraded by a newer version of the broker`
      : 'IndexedDB could not be opened';
    throw new TokenBrokerError('storage-failed', message, { cause });
  };
  const connect = (): Promise<IDBPDatabase<BrokerDB>> =>
    openDB<BrokerDB>(name, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore('session');
        database.createObjectStore('config');
      },
      // Another context wants to delete or upgrade the database: let it, and reopen on next
      // use. Holding on would leave its request blocked for as long as this worker lives.
      blocking(_current, _next, event) {
        (event.target as IDBDatabase).close();
        forget();
      },
      // The browser closed the connection (storage cleared, database deleted).
      terminated: forget,
    });
  // The record this worker last read or wrote: one 0.1.0 writes over it may continue its login
  // (session-record.ts `lineageOf`). Per store, i.e. per worker.
  let last: LastSeen | null = null;
  const note = (session: StoredSession | null, legacy = false): void => {
    last = session?.lineage ? { lineage: session.lineage, generation: session.generation, legacy } : null;
  };
  const fromRecord = (raw: unknown): StoredSession | null => {
    const session = readSession(raw, last);
    note(session, (raw as { lineage?: unknown } | undefined)?.lineage === undefined);
    return session;
  };
  const failed = (what: string) => (cause: unknown) => {
    throw cause instanceof TokenBrokerError
      ? cause
      : new TokenBrokerError('storage-failed', `IndexedDB ${what} failed`, { cause });
  };
  return {
    async read() {
      return fromRecord(await (await open()).get('session', 'current').catch(failed('read')));
    },
    async write(session) {
      await (await open()).put('session', toRecord(session), 'current').catch(failed('write'));
      note(session);
    },
    async clear() {
      await (await open()).delete('session', 'current').catch(failed('delete'));
      note(null);
    },
    async update(decide) {
      const tx = (await open()).transaction('session', 'readwrite');
      try {
        const raw: unknown = await tx.store.get('current');
        let current: StoredSession | null;
        try {
          current = fromRecord(raw);
        } catch {
          current = null; // a corrupt record is replaced or deleted like an absent one
        }
        const next = decide(current);
        if (next === null) await tx.store.delete('current');
        else if (next !== undefined) await tx.store.put(toRecord(next), 'current');
        await tx.done;
        if (next !== undefined) note(next);
        return next === undefined ? current : next;
      } catch (cause) {
        try {
          tx.abort();
        } catch {
          // already finished or aborted: nothing was written
        }
        return failed('update')(cause);
      }
    },
    async readConfig() {
      return (
        ((await (await open()).get('config', 'current').catch(failed('read'))) as
          | DeclarativeConfig
          | undefined) ?? null
      );
    },
    async writeConfig(config) {
      await (await open()).put('config', config, 'current').catch(failed('write'));
    },
  };
}
