import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DeclarativeConfig } from '../shared/config.js';
import { brokerNames } from '../shared/names.js';
import type { RefreshTrigger } from '../shared/protocol.js';

/** The session as the worker keeps it. Never leaves the worker. */
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Worker-clock epoch ms, derived from the time the token response arrived; null when unknown. */
  expiresAt: number | null;
  /** Worker-clock epoch ms the tokens were received. */
  receivedAt: number;
  /** Increments with every write; lets a request tell a stale 401 from a fresh one. */
  generation: number;
  trigger: RefreshTrigger | 'login';
}

interface BrokerDB extends DBSchema {
  session: { key: 'current'; value: StoredSession };
  config: { key: 'current'; value: DeclarativeConfig };
}

/** Storage seam: IndexedDB in browsers (and fake-indexeddb in tests). */
export interface SessionStore {
  read(): Promise<StoredSession | null>;
  write(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
  readConfig(): Promise<DeclarativeConfig | null>;
  writeConfig(config: DeclarativeConfig): Promise<void>;
}

export const DEFAULT_DB_NAME = brokerNames().db;

/** Opens (lazily, once) the broker's database through idb. */
export function createIdbStore(name: string = DEFAULT_DB_NAME): SessionStore {
  let db: Promise<IDBPDatabase<BrokerDB>> | undefined;
  const open = (): Promise<IDBPDatabase<BrokerDB>> =>
    (db ??= openDB<BrokerDB>(name, 1, {
      upgrade(database) {
        database.createObjectStore('session');
        database.createObjectStore('config');
      },
      // Another context deleting or upgrading the database: reopen on next use.
      terminated() {
        db = undefined;
      },
    }));
  return {
    async read() {
      return (await (await open()).get('session', 'current')) ?? null;
    },
    async write(session) {
      await (await open()).put('session', session, 'current');
    },
    async clear() {
      await (await open()).delete('session', 'current');
    },
    async readConfig() {
      return (await (await open()).get('config', 'current')) ?? null;
    },
    async writeConfig(config) {
      await (await open()).put('config', config, 'current');
    },
  };
}
