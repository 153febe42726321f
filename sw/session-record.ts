import { TokenBrokerError } from '../shared/errors.js';
import type { RefreshTrigger } from '../shared/protocol.js';
import type { DpopKey } from './dpop-proof.js';
import { computeExpiresAt } from './expiry.js';

/** A refresh request that was sent with the stored refresh token and has not been answered yet. */
export interface InflightAttempt {
  /** Unique per attempt: the answer is stored only if the record still names this attempt. */
  id: string;
  /** Worker-clock epoch ms the request was sent. */
  startedAt: number;
  /** The worker instance that sent it (`Broker.instance`). */
  instance: string;
}

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
  /**
   * One id from a login (or `setSession`) through all its refreshes. A request belongs to the
   * lineage that was current when it reached the broker and is never sent under another one.
   */
  lineage: string;
  /** Set while a refresh request carrying `refreshToken` is out (see refresh-coordinator.ts). */
  inflight?: InflightAttempt;
  /**
   * The login's DPoP key (`dpop` on): its private half is a non-extractable `CryptoKey`, which
   * IndexedDB stores by structured clone, so it lives and dies with this record.
   */
  dpopKey?: DpopKey;
}

/**
 * Version of the stored session record's shape, kept on the record itself (`schema`). 0.1.0
 * wrote records without it (schema 1). Kept per record rather than per database because a 0.1
 * worker can still rewrite the record during an update or a rollback: a record without `schema`
 * is always one an old version wrote, whatever was stored before. The IndexedDB version stays 1
 * (see store.ts).
 */
export const SESSION_SCHEMA = 2;

// Records of version 0.1 had no lineage; one this worker cannot link to a session it saw is
// read as a lineage of its own.
const LEGACY_LINEAGE = 'legacy';

/**
 * The last record this worker read or wrote: what a record without a lineage may continue.
 * `legacy`: it had no lineage of its own (its lineage was given on read).
 */
export interface LastSeen {
  lineage: string;
  generation: number;
  legacy: boolean;
}

/**
 * The lineage of a record without one (0.1.0 wrote it): the lineage of the record it replaced
 * when that is provable, else `legacy`. 0.1.0 writes a refresh as the record it read plus one
 * generation (trigger not `login`), and a login with a generation above every earlier one
 * (trigger `login`). So a non-login record one generation above the record this worker last saw
 * is that record refreshed: the same login (a rollback to 0.1.0 must not end the login for the
 * requests this version holds). The same generation read again keeps the lineage it was given.
 * Anything else (a login, a gap of more than one refresh) cannot be linked and starts its own.
 */
function lineageOf(r: { generation: number; trigger: unknown }, last: LastSeen | null): string {
  if (last && r.generation === last.generation && last.legacy) return last.lineage;
  if (last && r.generation === last.generation + 1 && r.trigger !== 'login') return last.lineage;
  return LEGACY_LINEAGE;
}

/** The record as IndexedDB holds it: the session plus the schema of whoever wrote it. */
export type SessionRecord = StoredSession & { schema: number };

/** What `store` writes: the session stamped with this version's schema. */
export function toRecord(session: StoredSession): SessionRecord {
  return { ...session, schema: SESSION_SCHEMA };
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const TRIGGERS: readonly unknown[] = ['login', 'proactive', 'unauthorized', 'explicit'];

/** The session a login stores: a new lineage, whose first generation follows every earlier one. */
export function loginSession(
  tokens: { accessToken: string; refreshToken: string; expiresIn: number | undefined },
  receivedAt: number,
  generation: number,
  dpopKey?: DpopKey,
): StoredSession {
  return {
    ...(dpopKey ? { dpopKey } : {}),
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: computeExpiresAt(tokens.accessToken, tokens.expiresIn, receivedAt),
    receivedAt,
    generation,
    trigger: 'login',
    lineage: newLineage(),
  };
}

/** A new lineage id (not secret: it only has to differ between logins). */
export function newLineage(): string {
  return (
    globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  );
}

/** A stored DPoP key: a private signing key object and the public JWK of the proofs' header. */
function isDpopKey(v: unknown): boolean {
  const k = v as Partial<DpopKey> | null;
  const jwk = k?.publicJwk;
  return (
    typeof k?.privateKey === 'object' &&
    k.privateKey !== null &&
    jwk?.kty === 'EC' &&
    jwk.crv === 'P-256' &&
    isString(jwk.x) &&
    isString(jwk.y)
  );
}

/**
 * Validates a record read back from storage, like a token response: storage can be corrupted
 * by a crash, an extension, a devtools edit or an older or newer version. Anything unusable
 * throws `storage-lost` instead of being used as a session.
 *
 * Migration happens here, on read, with no write and no lock: a 0.1 record (no `schema`) gets
 * a lineage (`lineageOf`, from `last`) and is stamped with `SESSION_SCHEMA` the next time it is
 * written. A record of a newer schema is used when the fields this version needs validate (newer
 * versions only add optional fields within a major version, see the README's versioning policy).
 */
export function readSession(raw: unknown, last: LastSeen | null = null): StoredSession | null {
  if (raw === undefined || raw === null) return null;
  const r = raw as Partial<StoredSession> & Record<string, unknown>;
  const ok =
    typeof raw === 'object' &&
    isString(r.accessToken) &&
    isString(r.refreshToken) &&
    (r.expiresAt === null || isTime(r.expiresAt)) &&
    isTime(r.receivedAt) &&
    Number.isSafeInteger(r.generation) &&
    (r.generation as number) > 0 &&
    TRIGGERS.includes(r.trigger) &&
    (r['schema'] === undefined || (Number.isSafeInteger(r['schema']) && (r['schema'] as number) >= 1)) &&
    (r.lineage === undefined || isString(r.lineage)) &&
    (r.inflight === undefined ||
      (isString(r.inflight?.id) && isTime(r.inflight?.startedAt) && isString(r.inflight?.instance))) &&
    (r.dpopKey === undefined || isDpopKey(r.dpopKey));
  if (!ok) throw new TokenBrokerError('storage-lost', 'the stored session record is corrupt');
  const { schema: _writer, ...session } = r as StoredSession & { schema?: number };
  return { ...session, lineage: r.lineage ?? lineageOf(session, last) };
}
