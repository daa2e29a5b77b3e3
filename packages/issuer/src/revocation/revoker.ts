import { type DenyEntry, notBeforeMark, type RevocationEvent } from "@patgate/shared";
import { TokenStoreError } from "../tokens/errors.js";
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
  /**
   * Called once the source of truth has changed, before propagation: this
   * issuer evicts its verified-PAT cache at once, even while Redis is away.
   */
  readonly onChange?: (event: RevocationEvent) => void;
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
  const { store, propagator, jwtTtlSeconds, now = Date.now, onChange } = options;

  /** Records the event, applies the change to the source of truth, then delivers the event. */
  async function withEvent<T>(event: RevocationEvent, change: () => Promise<T>): Promise<[T, Propagation]> {
    const recorded = await propagator.record(event);
    const result = await change();
    onChange?.(event);
    return [result, await propagator.deliver(recorded)];
  }

  function mark(kind: "client" | "sub", value: string): RevocationEvent {
    const notBefore = notBeforeMark(now());
    const entry: DenyEntry = { kind, value, notBefore, expiresAt: notBefore + jwtTtlSeconds + DENY_MARGIN_SECONDS };
    return { type: "deny", entry };
  }

  /** A missing token fails before anything is recorded, so the outbox holds only real revocations. */
  async function checkExists(tokenId: string): Promise<void> {
    if ((await store.get(tokenId)) === null) throw new TokenStoreError("not_found", `no token with id ${tokenId}`);
  }

  return {
    async revokeToken(tokenId) {
      await checkExists(tokenId);
      // Delivered even when already revoked: a retry after a lost propagation must get through.
      const [change, propagation] = await withEvent(mark("client", tokenId), () => store.revoke(tokenId));
      return { ...change, propagation };
    },

    async restoreToken(tokenId) {
      await checkExists(tokenId);
      // The mark stays: JWTs minted before the revocation remain denied; new ones carry iat >= the mark.
      const [change, propagation] = await withEvent({ type: "token_changed", tokenId }, () => store.restore(tokenId));
      return { ...change, propagation };
    },

    async updateToken(tokenId, changes) {
      const before = await store.get(tokenId);
      const after = await store.update(tokenId, changes);
      // Whether the change is a downgrade is known only once applied; the deny
      // mark is recorded right after, timed after the change, so no JWT minted
      // before it escapes. (A crash between the two leaves a downgraded PAT whose
      // old JWTs live out their few minutes: the one window without an outbox.)
      const downgraded = before !== null && isDowngrade(before, after);
      const event: RevocationEvent = downgraded ? mark("client", tokenId) : { type: "token_changed", tokenId };
      const propagation = await propagator.deliver(await propagator.record(event));
      return { record: after, changed: true, propagation };
    },

    async revokeOwner(owner) {
      const [revoked, propagation] = await withEvent(mark("sub", owner), async () => {
        let count = 0;
        let cursor: string | undefined;
        do {
          const page = await store.list({ owner, limit: 100, includeRevoked: false, ...(cursor ? { cursor } : {}) });
          for (const record of page.items) if ((await store.revoke(record.tokenId)).changed) count += 1;
          cursor = page.nextCursor;
        } while (cursor);
        return count;
      });
      return { revoked, propagation };
    },

    async denyJti(jti, expiresAt) {
      const entry: DenyEntry = { kind: "jti", value: jti, expiresAt: expiresAt + DENY_MARGIN_SECONDS };
      return { propagation: await propagator.deliver(await propagator.record({ type: "deny", entry })) };
    },
  };
}
