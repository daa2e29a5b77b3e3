import { createHash } from "node:crypto";
import { parsePat, redactTokens } from "@patgate/shared";
import type { AuditSink } from "../audit/audit-event.js";
import { type EventSink, emitSafely, tokenEvent } from "../events/token-events.js";
import type { TokenChanges } from "../revocation/token-changes.js";
import type { TokenStore } from "../tokens/types.js";

/** Where a leaked token was found, as the reporter says. */
export interface LeakSource {
  readonly url?: string;
  readonly source?: string;
  /** Who reported it: `github`, or `report` for the public endpoint. */
  readonly reporter: string;
}

export type LeakLabel = "true_positive" | "false_positive";

export interface LeakResponder {
  /** Checks one reported string; a real PAT is revoked at once. */
  handle(token: string, where: LeakSource): Promise<LeakLabel>;
}

/** SHA-256 hex of the reported token, as GitHub's feedback format wants it. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Leak response: a reported string that passes the offline checksum and
 * verifies against the store is a real PAT (revoked or not: it is still a
 * leak), and an active one is revoked through the usual path with a
 * `token.leaked` audit line naming where it was found, and a `token.leaked`
 * event (after the revocation's own `token.revoked`).
 */
export function createLeakResponder(deps: {
  readonly store: TokenStore;
  readonly changes: TokenChanges;
  readonly audit: AuditSink;
  readonly events: EventSink;
  readonly tokenPrefix: string;
  readonly now: () => number;
}): LeakResponder {
  const { store, changes, audit, events, tokenPrefix, now } = deps;
  return {
    async handle(token, where) {
      const parsed = parsePat(token, tokenPrefix);
      if (!parsed.ok) return "false_positive"; // checked offline: no store read, no scrypt
      const result = await store.verify(parsed);
      // A revoked or expired PAT is real too (its result carries the record); anything else is not.
      const record = result.record;
      if (!record) return "false_positive";
      const revoked = record.isRevoked
        ? record
        : (await changes.revokeToken(record.tokenId, { actor: where.reporter, reason: "leaked" })).record;
      audit.record({
        action: "token.leaked",
        actor: where.reporter,
        tokenId: record.tokenId,
        result: "success",
        at: Math.floor(now() / 1000),
        details: {
          ...(where.url ? { url: where.url.slice(0, 300) } : {}),
          ...(where.source ? { source: where.source.slice(0, 100) } : {}),
          alreadyRevoked: record.isRevoked,
        },
      });
      await emitSafely(
        events,
        tokenEvent(
          "token.leaked",
          revoked,
          {
            actor: where.reporter,
            alreadyRevoked: record.isRevoked,
            // Where it was found, never the token itself (a URL can carry it).
            ...(where.url ? { url: redactTokens(where.url, tokenPrefix).slice(0, 300) } : {}),
            ...(where.source ? { source: redactTokens(where.source, tokenPrefix).slice(0, 100) } : {}),
          },
          now(),
        ),
      );
      return "true_positive";
    },
  };
}
