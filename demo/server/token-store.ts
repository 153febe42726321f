import { randomBytes } from 'node:crypto';

/** One login session: a chain of refresh tokens, each usable once. */
export interface Family {
  readonly id: string;
  readonly sub: string;
  /** The OAuth client the family was issued to (RFC 7009: only that client may revoke it). */
  readonly clientId: string;
  /** Generation of the active refresh token; starts at 1 and only grows. */
  generation: number;
  activeToken: string;
  revoked: boolean;
  reason?: string;
}

interface RefreshRecord {
  familyId: string;
  /** The family generation this token was issued as. */
  generation: number;
  /** Set once the token has been exchanged; a second use is reuse (or a grace hit). */
  rotatedAt: number | null;
  /** Token minted when this one was rotated. */
  child: string | null;
}

export type RefreshOutcome =
  | { kind: 'rotated'; family: Family }
  | { kind: 'grace'; family: Family }
  | { kind: 'reuse'; family: Family }
  | { kind: 'invalid'; why: 'unknown-token' | 'family-revoked' };

export const REUSE_REASON = 'reuse-detected';

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Families and rotation. Invariants:
 * - a refresh token rotates at most once; presenting it again is reuse and revokes its family,
 *   unless it is the active token's direct parent presented within the grace window;
 * - a family's generation never decreases, and a revoked family never comes back;
 * - every operation is synchronous, so concurrent requests are serialised by the event loop.
 */
export class TokenStore {
  private readonly familiesById = new Map<string, Family>();
  private readonly records = new Map<string, RefreshRecord>();

  constructor(
    private readonly onRevoked: (family: Family) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  createFamily(sub: string, clientId: string): Family {
    const id = `fam_${randomBytes(9).toString('base64url')}`;
    const family: Family = {
      id,
      sub,
      clientId,
      generation: 1,
      activeToken: this.mint(id, 1),
      revoked: false,
    };
    this.familiesById.set(id, family);
    return family;
  }

  /** The generation a refresh token was issued as, whatever its state; undefined when unknown. */
  generationOf(token: string): number | undefined {
    return this.records.get(token)?.generation;
  }

  /** Family a refresh token belongs to, whatever its state. */
  familyOf(token: string): Family | undefined {
    const record = this.records.get(token);
    return record ? this.familiesById.get(record.familyId) : undefined;
  }

  refresh(token: string, graceSeconds: number): RefreshOutcome {
    const record = this.records.get(token);
    const family = record && this.familiesById.get(record.familyId);
    if (!record || !family) return { kind: 'invalid', why: 'unknown-token' };
    if (family.revoked) return { kind: 'invalid', why: 'family-revoked' };
    if (record.rotatedAt === null) {
      const child = this.mint(family.id, family.generation + 1);
      record.rotatedAt = this.now();
      record.child = child;
      family.activeToken = child;
      family.generation += 1;
      return { kind: 'rotated', family };
    }
    const isParentOfActive = record.child === family.activeToken;
    if (graceSeconds > 0 && isParentOfActive && this.now() - record.rotatedAt <= graceSeconds * 1000) {
      return { kind: 'grace', family };
    }
    this.revoke(family, REUSE_REASON);
    return { kind: 'reuse', family };
  }

  /** Returns false when the family was unknown or already revoked. */
  revokeFamily(familyId: string, reason: string): boolean {
    const family = this.familiesById.get(familyId);
    return family ? this.revoke(family, reason) : false;
  }

  revokeAll(reason: string): void {
    for (const family of this.familiesById.values()) this.revoke(family, reason);
  }

  family(familyId: string): Family | undefined {
    return this.familiesById.get(familyId);
  }

  families(): Iterable<Family> {
    return this.familiesById.values();
  }

  private revoke(family: Family, reason: string): boolean {
    if (family.revoked) return false;
    family.revoked = true;
    family.reason = reason;
    this.onRevoked(family);
    return true;
  }

  private mint(familyId: string, generation: number): string {
    const token = randomToken();
    this.records.set(token, { familyId, generation, rotatedAt: null, child: null });
    return token;
  }
}
