import { type DenyEntry, notBeforeMark, type RevocationEvent } from "@patgate/shared";
import type { StateChange, TokenRecord, TokenStore, TokenUpdate } from "../tokens/types.js";
import type { Propagation, Propagator } from "./propagator.js";

/** A change to a token and how far its revocation got. */
export interface RevocationOutcome extends StateChange {
  readonly propagation: Propagation;
}

/**
 * Applies revocations: DynamoDB first (the source of truth), then a deny
 * event through the propagator. Entries live as long as the longest JWT they
 * could match, so the deny-list stays small.
 */
export interface Revoker {
  revokeToken(tokenId: string): Promise<RevocationOutcome>;
  restoreToken(tokenId: string): Promise<RevocationOutcome>;
  /** Updates a token; a downgrade (role removed, admin dropped, owner changed, expiry brought forward) marks it. */
  updateToken(tokenId: string, changes: TokenUpdate): Promise<RevocationOutcome>;
  /** Revokes every token of an owner and marks the owner. */
  revokeOwner(owner: string): Promise<{ readonly revoked: number; readonly propagation: Propagation }>;
  /** Denies one JWT by `jti` until `expiresAt` (its `exp`). */
  denyJti(jti: string, expiresAt: number): Promise<{ readonly propagation: Propagation }>;
}

export interface RevokerOptions {
  readonly store: TokenStore;
  readonly propagator: Propagator;
  /** Longest JWT lifetime, seconds: how long a mark must live. */
  readonly jwtTtlSeconds: number;
  /** Current time, epoch ms. */
  readonly now?: () => number;
}

/** Extra seconds a deny entry outlives the JWTs it matches, for verifiers' clock tolerance. */
export const DENY_MARGIN_SECONDS = 60;

function isDowngrade(before: TokenRecord, after: TokenRecord): boolean {
  const kept = new Set(after.roles);
  return (
    before.roles.some((role) => !kept.has(role)) ||
    (before.isAdmin && !after.isAdmin) ||
    before.owner !== after.owner ||
    (after.expiresAt !== undefined && (before.expiresAt === undefined || after.expiresAt < before.expiresAt))
  );
}

export function createRevoker(options: RevokerOptions): Revoker {
  const { store, propagator, jwtTtlSeconds, now = Date.now } = options;

  function mark(kind: "client" | "sub", value: string): RevocationEvent {
    const notBefore = notBeforeMark(now());
    const entry: DenyEntry = { kind, value, notBefore, expiresAt: notBefore + jwtTtlSeconds + DENY_MARGIN_SECONDS };
    return { type: "deny", entry };
  }

  return {
    async revokeToken(tokenId) {
      const change = await store.revoke(tokenId);
      // Propagate even when already revoked: a retry after a lost propagation must get through.
      return { ...change, propagation: await propagator.propagate(mark("client", tokenId)) };
    },

    async restoreToken(tokenId) {
      const change = await store.restore(tokenId);
      // The mark stays: JWTs minted before the revocation remain denied; new ones carry iat >= the mark.
      return { ...change, propagation: await propagator.propagate({ type: "token_changed", tokenId }) };
    },

    async updateToken(tokenId, changes) {
      const before = await store.get(tokenId);
      const after = await store.update(tokenId, changes);
      const downgraded = before !== null && isDowngrade(before, after);
      const events: RevocationEvent[] = downgraded ? [mark("client", tokenId)] : [{ type: "token_changed", tokenId }];
      if (before && before.owner !== after.owner) events.push({ type: "token_changed", tokenId });
      let propagation: Propagation = "confirmed";
      for (const event of events) if ((await propagator.propagate(event)) === "pending") propagation = "pending";
      return { record: after, changed: true, propagation };
    },

    async revokeOwner(owner) {
      let revoked = 0;
      let cursor: string | undefined;
      do {
        const page = await store.list({ owner, limit: 100, includeRevoked: false, ...(cursor ? { cursor } : {}) });
        for (const record of page.items) if ((await store.revoke(record.tokenId)).changed) revoked += 1;
        cursor = page.nextCursor;
      } while (cursor);
      return { revoked, propagation: await propagator.propagate(mark("sub", owner)) };
    },

    async denyJti(jti, expiresAt) {
      const entry: DenyEntry = { kind: "jti", value: jti, expiresAt: expiresAt + DENY_MARGIN_SECONDS };
      return { propagation: await propagator.propagate({ type: "deny", entry }) };
    },
  };
}
