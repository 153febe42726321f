import type { Family } from './token-store.js';
import type { Counters, FamilyCounters, RequestRecord, UploadRecord } from './types.js';

export type CounterName = Exclude<keyof Counters, 'families' | 'requests'>;
type FamilyCounterName = 'refreshCalls' | 'rotations';

const REQUEST_LOG_LIMIT = 5000;

function zeroTotals(): Record<CounterName, number> {
  return {
    refreshCalls: 0,
    rotations: 0,
    reuseDetections: 0,
    graceReuses: 0,
    invalidGrants: 0,
    unauthorized: 0,
    requestsWithAuth: 0,
    requestsWithoutAuth: 0,
    logins: 0,
    revocations: 0,
  };
}

/** What the server saw since start or the last reset. Never holds header values or tokens. */
export class CounterBook {
  private totals = zeroTotals();
  private perFamily = new Map<string, Record<FamilyCounterName, number>>();
  private log: RequestRecord[] = [];
  private byRequest = new WeakMap<object, RequestRecord>();

  bump(name: CounterName): void {
    this.totals[name] += 1;
  }

  bumpFamily(familyId: string, name: FamilyCounterName): void {
    let entry = this.perFamily.get(familyId);
    if (!entry) {
      entry = { refreshCalls: 0, rotations: 0 };
      this.perFamily.set(familyId, entry);
    }
    entry[name] += 1;
  }

  /** Appends a record the caller may still update (its status is known only later). */
  logRequest(record: RequestRecord, request?: object): void {
    if (request) this.byRequest.set(request, record);
    this.log.push(record);
    if (this.log.length > REQUEST_LOG_LIMIT) this.log.splice(0, this.log.length - REQUEST_LOG_LIMIT);
  }

  /** Adds what a request's body was to its log entry. */
  describeBody(request: object, body: UploadRecord): void {
    const record = this.byRequest.get(request);
    if (record) record.body = body;
  }

  /** A detached copy; `families` lists every family the server knows, with counts since reset. */
  snapshot(families: Iterable<Family>): Counters {
    const byFamily: Record<string, FamilyCounters> = {};
    for (const family of families) {
      const counts = this.perFamily.get(family.id);
      byFamily[family.id] = {
        generation: family.generation,
        refreshCalls: counts?.refreshCalls ?? 0,
        rotations: counts?.rotations ?? 0,
        revoked: family.revoked,
        ...(family.reason === undefined ? {} : { reason: family.reason }),
      };
    }
    return { ...this.totals, families: byFamily, requests: this.log.map((r) => ({ ...r })) };
  }

  reset(): void {
    this.totals = zeroTotals();
    this.perFamily.clear();
    this.log = [];
  }
}
