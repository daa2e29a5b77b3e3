import type { DenyEntry, RevocationEvent } from "@patgate/shared";
import {
  type EventSink,
  emitSafely,
  noEvents,
  ownerRevokedEvent,
  SCHEDULER_ACTOR,
  type TokenEvent,
  tokenEvent,
} from "../events/token-events.js";
import { backOff, notFound, RevisionConflictError } from "../tokens/errors.js";
import { changeFor, isRestricting } from "../tokens/record-update.js";
import type { StateChange, TokenRecord, TokenStore, TokenUpdate } from "../tokens/types.js";
import { checkGraceSeconds, checkTokenId, checkUpdate } from "../tokens/validation.js";
import type { Propagation, Propagator, RecordedEvent } from "./propagator.js";

/** A change to a token and how far its revocation got. */
export interface RevocationOutcome extends StateChange {
  readonly propagation: Propagation;
}

/** Who asked for a change, for its lifecycle event. */
export interface ChangeContext {
  /** Default `patgate` (the scheduler, or a caller that names no one). */
  readonly actor?: string;
}

/** Who asked for a revocation, and why. */
export interface RevokeContext extends ChangeContext {
  /**
   * `requested` (default), `leaked` (leak response), or `unused` (the
   * unused-token policy: its event is `token.unused_revoked`, not `token.revoked`).
   */
  readonly reason?: "requested" | "leaked" | "unused";
}

/**
 * Applies revocations. For each: record the deny event durably (the outbox),
 * change the source of truth with a write conditional on the revision the
 * event was computed from, apply it to this process at once, then deliver it
 * to every verifier. A concurrent change makes the write fail and the whole
 * step start again from a fresh read; an event recorded for a lost attempt
 * only ever denies less than the retry's.
 *
 * Every change that happened (not a no-op) emits its lifecycle event to
 * `events` once it is in DynamoDB and delivered as far as it got.
 */
export interface Revoker {
  revokeToken(tokenId: string, by?: RevokeContext): Promise<RevocationOutcome>;
  restoreToken(tokenId: string, by?: ChangeContext): Promise<RevocationOutcome>;
  /** Updates a token; a restricting change (role, admin flag, owner or time taken away) marks it. */
  updateToken(tokenId: string, changes: TokenUpdate, by?: ChangeContext): Promise<RevocationOutcome>;
  /** A new secret for the token, the old one working for `graceSeconds` more (see `TokenStore.rotate`). */
  rotateToken(
    tokenId: string,
    graceSeconds: number,
    by?: ChangeContext,
  ): Promise<RevocationOutcome & { readonly token: string }>;
  /** Revokes every token of an owner: its revision moves on (which kills them all at once), then each is flagged. */
  revokeOwner(
    owner: string,
    by?: ChangeContext,
  ): Promise<{ readonly revoked: number; readonly propagation: Propagation }>;
  /** Denies one JWT by `jti` until `expiresAt` (its `exp`). */
  denyJti(jti: string, expiresAt: number): Promise<{ readonly propagation: Propagation }>;
}

export interface RevokerOptions {
  readonly store: TokenStore;
  readonly propagator: Propagator;
  /**
   * How long a mark must live, seconds: the longest a JWT derived from the old
   * state can live after the change (see `markLifetimeSeconds`).
   */
  readonly markLifetimeSeconds: number;
  /** Applies an event to this process (its PAT cache, its deny view) before the request answers. */
  readonly applyLocally: (event: RevocationEvent) => void;
  /**
   * When an event could not be confirmed on the stream, the answer waits until
   * this many ms after it was recorded: every other issuer has stopped trusting
   * its PAT cache by then (its feed went stale too), so "answered" means no
   * issuer mints from the old state. 0 in the embedded default.
   */
  readonly pendingSettleMs?: number;
  /** Where lifecycle events go (`token.revoked`, `owner.revoked`, ...); default nowhere. */
  readonly events?: EventSink;
  /** Current time, epoch ms. */
  readonly now?: () => number;
}

/** Extra seconds a deny entry outlives the JWTs it matches: verifiers' clock tolerance and issuers' skew. */
export const DENY_MARGIN_SECONDS = 60;
/** Attempts of a change that keeps meeting concurrent changes. */
const ATTEMPTS = 20;

/**
 * How long a revision mark must live. A JWT derived from the old state was
 * minted from a record read at most `stateMaxAgeSeconds` before (the PAT cache
 * bounds it; the exchange refuses older state) and lives `jwtTtlSeconds`.
 */
export function markLifetimeSeconds(jwtTtlSeconds: number, stateMaxAgeSeconds: number): number {
  return jwtTtlSeconds + stateMaxAgeSeconds + DENY_MARGIN_SECONDS;
}

export function createRevoker(options: RevokerOptions): Revoker {
  const {
    store,
    propagator,
    markLifetimeSeconds: lifetime,
    applyLocally,
    pendingSettleMs = 0,
    events = noEvents,
    now = Date.now,
  } = options;

  const emit = (event: TokenEvent) => emitSafely(events, event);
  const actorOf = (by: ChangeContext | undefined) => by?.actor ?? SCHEDULER_ACTOR;

  function mark(kind: "client" | "sub", value: string, minRev: number): RevocationEvent {
    const entry: DenyEntry = { kind, value, minRev, expiresAt: Math.floor(now() / 1000) + lifetime };
    return { type: "deny", entry };
  }

  async function deliver(recorded: RecordedEvent): Promise<Propagation> {
    const propagation = await propagator.deliver(recorded);
    if (propagation === "pending" && pendingSettleMs > 0) {
      const wait = recorded.acceptedAt + pendingSettleMs - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return propagation;
  }

  /** Runs one read-record-write step again while it meets concurrent changes. */
  async function retrying<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof RevisionConflictError) || attempt >= ATTEMPTS) throw error;
      }
      await backOff(attempt);
    }
  }

  async function current(tokenId: string): Promise<TokenRecord> {
    const record = await store.get(tokenId);
    // A missing token fails before anything is recorded, so the outbox holds only real revocations.
    if (!record) throw notFound(tokenId);
    return record;
  }

  /** Records `event`, writes the change, applies it here, then delivers it. */
  async function apply<T extends StateChange>(event: RevocationEvent, write: () => Promise<T>) {
    const recorded = await propagator.record(event);
    const result = await write();
    applyLocally(event);
    return { ...result, propagation: await deliver(recorded) };
  }

  return {
    async revokeToken(tokenId, by) {
      let lastUsed = 0;
      const outcome = await retrying(async () => {
        const before = await current(tokenId);
        lastUsed = before.lastUsedAt ?? before.createdAt;
        // Already revoked: the mark is delivered again (a retry after a lost propagation must get through).
        if (before.isRevoked) {
          const event = mark("client", tokenId, before.revision);
          return apply(event, async () => ({ record: before, changed: false }));
        }
        return apply(mark("client", tokenId, before.revision + 1), () =>
          store.revoke(tokenId, { expectedRevision: before.revision }),
        );
      });
      if (outcome.changed) {
        const actor = actorOf(by);
        const at = now();
        await emit(
          by?.reason === "unused"
            ? tokenEvent(
                "token.unused_revoked",
                outcome.record,
                { actor, unusedSeconds: Math.max(0, Math.floor(at / 1000) - lastUsed) },
                at,
              )
            : tokenEvent("token.revoked", outcome.record, { actor, reason: by?.reason ?? "requested" }, at),
        );
      }
      return outcome;
    },

    async restoreToken(tokenId, by) {
      const outcome = await retrying(async () => {
        const before = await current(tokenId);
        // Marks stay: JWTs from before the revocation remain denied; new ones carry the new revision.
        return apply({ type: "token_changed", tokenId }, () =>
          store.restore(tokenId, { expectedRevision: before.revision }),
        );
      });
      if (outcome.changed) await emit(tokenEvent("token.restored", outcome.record, { actor: actorOf(by) }, now()));
      return outcome;
    },

    async rotateToken(tokenId, graceSeconds, by) {
      checkTokenId(tokenId);
      checkGraceSeconds(graceSeconds);
      const outcome = await retrying(async () => {
        const before = await current(tokenId);
        // Not restricting: JWTs already minted live out their lifetime. Caches drop the PAT,
        // so the old secret is checked again (and honoured only within the grace period).
        return apply({ type: "token_changed", tokenId }, async () => ({
          ...(await store.rotate(tokenId, { graceSeconds, expectedRevision: before.revision })),
          changed: true,
        }));
      });
      await emit(tokenEvent("token.rotated", outcome.record, { actor: actorOf(by), graceSeconds }, now()));
      return outcome;
    },

    async updateToken(tokenId, changes, by) {
      // Bad input is refused before a missing token is.
      checkTokenId(tokenId);
      checkUpdate(changes, Math.floor(now() / 1000));
      const outcome = await retrying(async () => {
        const before = await current(tokenId);
        const restricting = isRestricting(before, changeFor(before, checkUpdate(changes, Math.floor(now() / 1000))));
        const event = restricting
          ? mark("client", tokenId, before.revision + 1)
          : { type: "token_changed" as const, tokenId };
        return apply(event, async () => ({
          record: await store.update(tokenId, changes, { expectedRevision: before.revision }),
          changed: true,
        }));
      });
      await emit(
        tokenEvent(
          "token.updated",
          outcome.record,
          { actor: actorOf(by), changes: Object.keys(changes).sort() },
          now(),
        ),
      );
      return outcome;
    },

    async revokeOwner(owner, by) {
      const propagation = await retrying(async () => {
        const revision = await store.owners.get(owner);
        const event = mark("sub", owner, revision + 1);
        const recorded = await propagator.record(event);
        // From here every PAT of the owner is revoked, listed or not: an exchange
        // reads the owner's revision after the PAT and refuses a PAT from before.
        if (!(await store.owners.advance(owner, revision, now()))) throw new RevisionConflictError(owner);
        applyLocally(event);
        return deliver(recorded);
      });
      // Flag each PAT too, so listings and the PATs' own state say so.
      const actor = actorOf(by);
      let revoked = 0;
      let cursor: string | undefined;
      do {
        const page = await store.list({ owner, limit: 100, includeRevoked: false, ...(cursor ? { cursor } : {}) });
        for (const record of page.items) {
          const change = await store.revoke(record.tokenId);
          if (!change.changed) continue;
          revoked += 1;
          await emit(tokenEvent("token.revoked", change.record, { actor, reason: "owner" }, now()));
        }
        cursor = page.nextCursor;
      } while (cursor);
      await emit(ownerRevokedEvent(owner, actor, revoked, now()));
      return { revoked, propagation };
    },

    async denyJti(jti, expiresAt) {
      const event: RevocationEvent = {
        type: "deny",
        entry: { kind: "jti", value: jti, expiresAt: expiresAt + DENY_MARGIN_SECONDS },
      };
      const recorded = await propagator.record(event);
      applyLocally(event);
      return { propagation: await deliver(recorded) };
    },
  };
}
