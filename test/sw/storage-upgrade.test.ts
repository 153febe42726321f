import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { isTokenBrokerError } from '../../shared/errors.js';
import { SESSION_SCHEMA } from '../../sw/session-record.js';
import { createIdbStore, DB_VERSION, type StoredSession } from '../../sw/store.js';

// The database exactly as 0.1.0 opened it: version 1, two stores, no `blocking` handler, so its
// connection stays open through another context's `versionchange`.
async function openAs010(name: string) {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore('session');
      db.createObjectStore('config');
    },
  });
}

// A session record as 0.1.0 wrote it (sw/store.ts of 0.1.0: no lineage, no inflight, no schema).
const RECORD_010 = {
  accessToken: 'at-1',
  refreshToken: 'rt-1',
  expiresAt: 2_000_000,
  receivedAt: 1_000_000,
  generation: 4,
  trigger: 'proactive',
};
const CONFIG_010 = { tokenEndpoint: '/api/auth/refresh', apiPaths: ['/api/'] };

const dbName = () => `upgrade-${crypto.randomUUID()}`;

// The fields 0.1.0's worker reads from the record, with the types it relies on.
function readableBy010(raw: Record<string, unknown>): boolean {
  return (
    typeof raw['accessToken'] === 'string' &&
    typeof raw['refreshToken'] === 'string' &&
    (raw['expiresAt'] === null || typeof raw['expiresAt'] === 'number') &&
    typeof raw['receivedAt'] === 'number' &&
    typeof raw['generation'] === 'number' &&
    typeof raw['trigger'] === 'string'
  );
}

describe('storage written by 0.1.0', () => {
  it('is read as it is, with no login: the session keeps its tokens and generation under the lineage "legacy"', async () => {
    const name = dbName();
    const old = await openAs010(name);
    await old.put('session', RECORD_010, 'current');
    await old.put('config', CONFIG_010, 'current');
    const store = createIdbStore(name);
    expect(await store.read()).toEqual({ ...RECORD_010, lineage: 'legacy' });
    expect(await store.readConfig()).toEqual(CONFIG_010);
    old.close();
  });

  it('is stamped with the current schema on the next write, keeping what 0.1.0 reads', async () => {
    const name = dbName();
    const old = await openAs010(name);
    await old.put('session', RECORD_010, 'current');
    const store = createIdbStore(name);
    await store.update((current) => ({
      ...current!,
      generation: current!.generation + 1,
      refreshToken: 'rt-2',
    }));
    const raw = (await old.get('session', 'current')) as Record<string, unknown>;
    expect(raw).toMatchObject({
      schema: SESSION_SCHEMA,
      lineage: 'legacy',
      generation: 5,
      refreshToken: 'rt-2',
    });
    // A rollback: the old worker still finds every field it uses.
    expect(readableBy010(raw)).toBe(true);
    old.close();
  });

  it('a refresh 0.1.0 writes over the record this worker saw continues its login (same lineage, no in-flight mark)', async () => {
    const name = dbName();
    const store = createIdbStore(name);
    const current: StoredSession = {
      ...RECORD_010,
      trigger: 'login',
      lineage: 'L1',
      inflight: { id: 'a', startedAt: 1, instance: 'w' },
    };
    await store.write(current);
    const old = await openAs010(name);
    // 0.1.0 refreshes (a rollback): it writes a whole new object with only the fields it knows.
    await old.put('session', { ...RECORD_010, generation: 5, refreshToken: 'rt-2' }, 'current');
    const continued = { ...RECORD_010, generation: 5, refreshToken: 'rt-2', lineage: 'L1' };
    expect(await store.read()).toEqual(continued);
    expect(await store.read()).toEqual(continued); // read again: the same login
    await old.put('session', { ...RECORD_010, generation: 6, refreshToken: 'rt-3' }, 'current');
    expect(await store.update(() => undefined)).toMatchObject({ generation: 6, lineage: 'L1' });
    // Another worker, which never saw L1, cannot link it.
    expect(await createIdbStore(name).read()).toMatchObject({ generation: 6, lineage: 'legacy' });
    old.close();
  });

  it('a login 0.1.0 writes, or a record more than one refresh on, is not linked: a lineage of its own', async () => {
    const name = dbName();
    const store = createIdbStore(name);
    await store.write({ ...RECORD_010, trigger: 'login', lineage: 'L1' });
    const old = await openAs010(name);
    await old.put('session', { ...RECORD_010, generation: 5, trigger: 'login' }, 'current');
    expect(await store.read()).toMatchObject({ generation: 5, lineage: 'legacy' });
    await store.write({ ...RECORD_010, trigger: 'login', generation: 6, lineage: 'L2' });
    await old.put('session', { ...RECORD_010, generation: 8 }, 'current');
    expect(await store.read()).toMatchObject({ generation: 8, lineage: 'legacy' });
    await store.clear();
    await old.put('session', { ...RECORD_010, generation: 9 }, 'current');
    expect(await store.read()).toMatchObject({ generation: 9, lineage: 'legacy' });
    old.close();
  });

  it('a record of a newer schema is used when the fields this version needs validate', async () => {
    const name = dbName();
    const store = createIdbStore(name);
    await store.write({ ...RECORD_010, trigger: 'login', lineage: 'L1' });
    const db = await openAs010(name);
    await db.put(
      'session',
      { ...RECORD_010, lineage: 'L1', schema: SESSION_SCHEMA + 1, addedLater: { x: 1 } },
      'current',
    );
    expect(await store.read()).toMatchObject({ lineage: 'L1', generation: 4 });
    db.close();
  });

  it('a bad schema field makes the record corrupt (storage-lost), like any other bad field', async () => {
    const name = dbName();
    const db = await openAs010(name);
    await db.put('session', { ...RECORD_010, schema: 'two' }, 'current');
    const error = await createIdbStore(name)
      .read()
      .catch((e: unknown) => e);
    expect(isTokenBrokerError(error) && error.code).toBe('storage-lost');
    db.close();
  });
});

describe('IndexedDB versions', () => {
  it('stays at version 1, so an open 0.1.0 connection never blocks this version', async () => {
    const name = dbName();
    const old = await openAs010(name);
    await old.put('session', RECORD_010, 'current');
    expect(DB_VERSION).toBe(1);
    const started = Date.now();
    expect(await createIdbStore(name, 500).read()).toMatchObject({ generation: 4 });
    expect(Date.now() - started).toBeLessThan(500);
    old.close();
  });

  it('a version bump would wait for as long as a 0.1.0 connection stays open (why the version stays 1)', async () => {
    const name = dbName();
    const old = await openAs010(name);
    let blocked = 0;
    const bumped = openDB(name, 2, { blocked: () => blocked++ });
    const outcome = await Promise.race([
      bumped.then(() => 'opened'),
      new Promise((r) => setTimeout(r, 300, 'still waiting')),
    ]);
    // Time is the subject: 300 ms stands for "as long as the old worker lives".
    expect(outcome).toBe('still waiting');
    expect(blocked).toBe(1);
    old.close();
    (await bumped).close();
  });

  it('this version closes its connection for a newer version that upgrades the database', async () => {
    const name = dbName();
    const store = createIdbStore(name);
    await store.write({ ...RECORD_010, trigger: 'login', lineage: 'L1' });
    let blocked = 0;
    const newer = await openDB(name, 2, { blocked: () => blocked++ });
    expect(blocked).toBe(0);
    newer.close();
  });

  it('a database a newer version upgraded fails typed (storage-failed) instead of hanging', async () => {
    const name = dbName();
    (await openDB(name, 2, { upgrade: (db) => void db.createObjectStore('session') })).close();
    const error = await createIdbStore(name, 1_000)
      .read()
      .catch((e: unknown) => e);
    expect(isTokenBrokerError(error) && error.code).toBe('storage-failed');
    expect((error as Error).message).toMatch(/newer version/);
  });

  it('an open that stays blocked fails typed (storage-failed) within the open timeout', async () => {
    const name = dbName();
    // Something holds an older version open and ignores versionchange while another context
    // waits to upgrade; our own open queues behind that upgrade.
    const holder = await openAs010(name);
    const upgrade = openDB(name, 2, { upgrade: (db) => void db.createObjectStore('extra') });
    const started = Date.now();
    const error = await createIdbStore(name, 200)
      .read()
      .catch((e: unknown) => e);
    expect(isTokenBrokerError(error) && error.code).toBe('storage-failed');
    expect(Date.now() - started).toBeLessThan(2_000);
    holder.close();
    (await upgrade).close();
  });
});
