import type { AuditEvent, AuditSink } from "../audit/audit-event.js";
import { type EventSink, emitSafely, SCHEDULER_ACTOR, tokenEvent } from "../events/token-events.js";
import type { Propagation } from "../revocation/propagator.js";
import type { RevocationOutcome, TokenChanges } from "../revocation/token-changes.js";
import type { TokenRecord } from "../tokens/types.js";

type Details = NonNullable<AuditEvent["details"]>;

/**
 * A PAT's holder acting on it at its own door, holding its secret (or, for a
 * JWT, the JWT): `rfc7009` is `POST /revoke`, `self` is `POST /tokens/self/rotate`.
 */
export interface HolderActing {
  /** `holder (tokenId)`. */
  readonly actor: string;
  readonly ip: string;
  readonly via: "rfc7009" | "self";
}

/** Where a leaked PAT was found, as its audit line and its event say it (the event's copy redacted). */
export interface LeakReport {
  /** Who reported it: `github`, or `report`. */
  readonly reporter: string;
  readonly line: Details;
  readonly event: { readonly url?: string; readonly source?: string };
}

/**
 * The changes a PAT's holder, a leak report or the unused-token policy make:
 * not an admin's, so not counted in `patgate_revocations_total`; each writes
 * its one line when it succeeds (a failure reaches the caller, no line).
 */
export interface HolderAndPolicyChanges {
  /** The holder revokes its PAT (`token.revoke` with `via` and how far it got; `token.revoked`). */
  revokeHeld(tokenId: string, by: HolderActing): Promise<RevocationOutcome>;
  /** The holder of a JWT of PAT `tokenId` denies it (`jwt.deny` with `via` and how far it got). */
  denyHeld(
    jti: string,
    expiresAt: number,
    tokenId: string,
    by: HolderActing,
  ): Promise<{ readonly propagation: Propagation }>;
  /** The holder rotates its PAT (`token.rotate` with `via`; `token.rotated`). */
  rotateHeld(
    tokenId: string,
    graceSeconds: number,
    by: HolderActing,
  ): Promise<RevocationOutcome & { readonly token: string }>;
  /**
   * A real PAT reported leaked: revoked unless it already is (`token.revoked`,
   * reason `leaked`), then the `token.leaked` line and event.
   */
  revokeLeaked(record: TokenRecord, leak: LeakReport): Promise<void>;
  /**
   * The unused-token policy revokes a PAT (`token.unused_revoked`); only a
   * change writes its `token.unused_revoke` line, dated `at` (epoch seconds).
   * Returns whether it changed.
   */
  revokeUnused(tokenId: string, line: { readonly at: number; readonly details: Details }): Promise<boolean>;
}

/** What {@link holderAndPolicyChanges} uses of the token service's parts. */
export interface HolderAndPolicyParts {
  readonly tokenChanges: TokenChanges;
  readonly audit: AuditSink;
  readonly events: EventSink;
  readonly now: () => number;
}

/** The holder's, the leak response's and the unused-token policy's changes (see {@link HolderAndPolicyChanges}). */
export function holderAndPolicyChanges(parts: HolderAndPolicyParts): HolderAndPolicyChanges {
  const { tokenChanges, audit, events, now } = parts;
  const seconds = () => Math.floor(now() / 1000);
  const held = (action: string, tokenId: string, by: HolderActing, at: number, details: Details) =>
    audit.record({ action, actor: by.actor, tokenId, ip: by.ip, result: "success", at, details });

  return {
    async revokeHeld(tokenId, by) {
      const at = seconds();
      const outcome = await tokenChanges.revokeToken(tokenId, { actor: by.actor });
      held("token.revoke", tokenId, by, at, { via: by.via, propagation: outcome.propagation });
      return outcome;
    },
    async denyHeld(jti, expiresAt, tokenId, by) {
      const at = seconds();
      const outcome = await tokenChanges.denyJti(jti, expiresAt, { actor: by.actor });
      held("jwt.deny", tokenId, by, at, { jti, via: by.via, propagation: outcome.propagation });
      return outcome;
    },
    async rotateHeld(tokenId, graceSeconds, by) {
      const at = seconds();
      const rotated = await tokenChanges.rotateToken(tokenId, graceSeconds, { actor: by.actor });
      held("token.rotate", tokenId, by, at, { graceSeconds, via: by.via });
      return rotated;
    },
    async revokeLeaked(record, leak) {
      const actor = leak.reporter;
      const revoked = record.isRevoked
        ? record
        : (await tokenChanges.revokeToken(record.tokenId, { actor, reason: "leaked" })).record;
      const alreadyRevoked = record.isRevoked;
      audit.record({
        action: "token.leaked",
        actor,
        tokenId: record.tokenId,
        result: "success",
        at: seconds(),
        details: { ...leak.line, alreadyRevoked },
      });
      await emitSafely(events, tokenEvent("token.leaked", revoked, { actor, alreadyRevoked, ...leak.event }, now()));
    },
    async revokeUnused(tokenId, line) {
      const outcome = await tokenChanges.revokeToken(tokenId, { actor: SCHEDULER_ACTOR, reason: "unused" });
      if (!outcome.changed) return false;
      audit.record({
        action: "token.unused_revoke",
        actor: SCHEDULER_ACTOR,
        tokenId,
        result: "success",
        at: line.at,
        details: line.details,
      });
      return true;
    },
  };
}
