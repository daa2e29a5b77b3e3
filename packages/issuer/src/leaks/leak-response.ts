import { createHash } from "node:crypto";
import { parsePat, redactTokens } from "@patgate/shared";
import type { TokenRecord, TokenStore } from "../tokens/types.js";

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

/**
 * What the leak response uses of the token service (`revokeLeaked`): defined
 * here, as a structural type, so this module imports nothing from above it.
 */
export interface LeakRevoker {
  revokeLeaked(
    record: TokenRecord,
    leak: {
      readonly reporter: string;
      readonly line: Readonly<Record<string, string>>;
      readonly event: { readonly url?: string; readonly source?: string };
    },
  ): Promise<void>;
}

/** SHA-256 hex of the reported token, as GitHub's feedback format wants it. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Leak response: a reported string that passes the offline checksum and
 * verifies against the store is a real PAT (revoked or not: it is still a
 * leak), and an active one is revoked through the token service, with a
 * `token.leaked` audit line naming where it was found, and a `token.leaked`
 * event (after the revocation's own `token.revoked`).
 */
export function createLeakResponder(deps: {
  readonly store: TokenStore;
  readonly tokens: LeakRevoker;
  readonly tokenPrefix: string;
}): LeakResponder {
  const { store, tokens, tokenPrefix } = deps;
  return {
    async handle(token, where) {
      const parsed = parsePat(token, tokenPrefix);
      if (!parsed.ok) return "false_positive"; // checked offline: no store read, no scrypt
      const result = await store.verify(parsed);
      // A revoked or expired PAT is real too (its result carries the record); anything else is not.
      const record = result.record;
      if (!record) return "false_positive";
      await tokens.revokeLeaked(record, {
        reporter: where.reporter,
        line: {
          ...(where.url ? { url: where.url.slice(0, 300) } : {}),
          ...(where.source ? { source: where.source.slice(0, 100) } : {}),
        },
        // Where it was found, never the token itself (a URL can carry it).
        event: {
          ...(where.url ? { url: redactTokens(where.url, tokenPrefix).slice(0, 300) } : {}),
          ...(where.source ? { source: redactTokens(where.source, tokenPrefix).slice(0, 100) } : {}),
        },
      });
      return "true_positive";
    },
  };
}
