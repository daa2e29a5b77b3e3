import type { RevocationEvent } from "@patgate/shared";
import { jwtDeniedEvent, ownerRevokedEvent, tokenEvent } from "../events/token-events.js";
import { RevisionConflictError } from "../tokens/errors.js";
import { changeFor, isRestricting } from "../tokens/record-update.js";
import type { TokenUpdate } from "../tokens/types.js";
import { checkGraceSeconds, checkTokenId, checkUpdate } from "../tokens/validation.js";
import { ChangeSteps, type ChangeStepsOptions, type RevocationOutcome } from "./change-steps.js";
import type { Propagation } from "./propagator.js";

export type { RevocationOutcome } from "./change-steps.js";

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
 * Every change to a token that every issuer and verifier must learn of:
 * revoke, restore, update, rotate, revoke an owner, deny a jti. For each:
 * record the deny event durably (the outbox),
 * change the source of truth with a write conditional on the revision the
 * event was computed from, apply it to this process at once, then deliver it
 * to every verifier. A concurrent change makes the write fail and the whole
 * step start again from a fresh read; an event recorded for a lost attempt
 * only ever denies less than the retry's.
 *
 * Every change that happened (not a no-op) emits its lifecycle event to
 * `events` once it is in DynamoDB and delivered as far as it got.
 */
export interface TokenChanges {
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
  denyJti(jti: string, expiresAt: number, by?: ChangeContext): Promise<{ readonly propagation: Propagation }>;
}

/** What {@link createTokenChanges} works on (see `ChangeStepsOptions`). */
export type TokenChangesOptions = ChangeStepsOptions;

/** Extra seconds a deny entry outlives the JWTs it matches: verifiers' clock tolerance and issuers' skew. */
export const DENY_MARGIN_SECONDS = 60;
/**
 * How long a revision mark must live. A JWT derived from the old state was
 * minted from a record read at most `stateMaxAgeSeconds` before (the PAT cache
 * bounds it; the exchange refuses older state) and lives `jwtTtlSeconds`.
 */
export function markLifetimeSeconds(jwtTtlSeconds: number, stateMaxAgeSeconds: number): number {
  return jwtTtlSeconds + stateMaxAgeSeconds + DENY_MARGIN_SECONDS;
}

async function revokeToken(steps: ChangeSteps, tokenId: string, by?: RevokeContext) {
  let lastUsed = 0;
  const outcome = await steps.retrying(async () => {
    const before = await steps.current(tokenId);
    lastUsed = before.lastUsedAt ?? before.createdAt;
    // Already revoked: the mark is delivered again (a retry after a lost propagation must get through).
    if (before.isRevoked) {
      const event = steps.mark("client", tokenId, before.revision);
      return steps.apply(event, async () => ({ record: before, changed: false }));
    }
    // The status bit goes with the write, after the outbox has the event.
    return steps.apply(steps.mark("client", tokenId, before.revision + 1), async () =>
      steps.store.revoke(tokenId, { expectedRevision: before.revision, ...(await steps.freshStatusIndex(before)) }),
    );
  });
  if (!outcome.changed) return outcome;
  const actor = steps.actorOf(by);
  const at = steps.now();
  await steps.emit(
    by?.reason === "unused"
      ? tokenEvent(
          "token.unused_revoked",
          outcome.record,
          { actor, unusedSeconds: Math.max(0, Math.floor(at / 1000) - lastUsed) },
          at,
        )
      : tokenEvent("token.revoked", outcome.record, { actor, reason: by?.reason ?? "requested" }, at),
  );
  return outcome;
}

async function restoreToken(steps: ChangeSteps, tokenId: string, by?: ChangeContext) {
  const outcome = await steps.retrying(async () => {
    const before = await steps.current(tokenId);
    // Marks stay: JWTs from before the revocation remain denied; new ones carry the new revision.
    return steps.apply({ type: "token_changed", tokenId }, async () =>
      steps.store.restore(tokenId, { expectedRevision: before.revision, ...(await steps.newStatusIndex()) }),
    );
  });
  if (outcome.changed)
    await steps.emit(tokenEvent("token.restored", outcome.record, { actor: steps.actorOf(by) }, steps.now()));
  return outcome;
}

async function rotateToken(steps: ChangeSteps, tokenId: string, graceSeconds: number, by?: ChangeContext) {
  checkTokenId(tokenId);
  checkGraceSeconds(graceSeconds);
  const outcome = await steps.retrying(async () => {
    const before = await steps.current(tokenId);
    // Not restricting: JWTs already minted live out their lifetime. Caches drop the PAT,
    // so the old secret is checked again (and honoured only within the grace period).
    return steps.apply({ type: "token_changed", tokenId }, async () => ({
      ...(await steps.store.rotate(tokenId, { graceSeconds, expectedRevision: before.revision })),
      changed: true,
    }));
  });
  await steps.emit(
    tokenEvent("token.rotated", outcome.record, { actor: steps.actorOf(by), graceSeconds }, steps.now()),
  );
  return outcome;
}

async function updateToken(steps: ChangeSteps, tokenId: string, changes: TokenUpdate, by?: ChangeContext) {
  const nowSeconds = () => Math.floor(steps.now() / 1000);
  // Bad input is refused before a missing token is.
  checkTokenId(tokenId);
  checkUpdate(changes, nowSeconds(), steps.store.authorizationTypes);
  const outcome = await steps.retrying(async () => {
    const before = await steps.current(tokenId);
    const restricting = isRestricting(
      before,
      changeFor(before, checkUpdate(changes, nowSeconds(), steps.store.authorizationTypes)),
    );
    const event = restricting
      ? steps.mark("client", tokenId, before.revision + 1)
      : { type: "token_changed" as const, tokenId };
    return steps.apply(event, async () => ({
      record: await steps.store.update(tokenId, changes, {
        expectedRevision: before.revision,
        ...(restricting ? await steps.freshStatusIndex(before) : {}),
      }),
      changed: true,
    }));
  });
  const details = { actor: steps.actorOf(by), changes: Object.keys(changes).sort() };
  await steps.emit(tokenEvent("token.updated", outcome.record, details, steps.now()));
  return outcome;
}

async function revokeOwner(steps: ChangeSteps, owner: string, by?: ChangeContext) {
  const { store, now } = steps;
  const propagation = await steps.retrying(async () => {
    const revision = await store.owners.get(owner);
    const event = steps.mark("sub", owner, revision + 1);
    const recorded = await steps.record(event);
    // From here every PAT of the owner is revoked, listed or not: an exchange
    // reads the owner's revision after the PAT and refuses a PAT from before.
    if (!(await store.owners.advance(owner, revision, now()))) throw new RevisionConflictError(owner);
    steps.applyLocally(event);
    return steps.deliver(recorded);
  });
  // Flag each PAT too, so listings and the PATs' own state say so.
  const actor = steps.actorOf(by);
  let revoked = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({ owner, limit: 100, includeRevoked: false, ...(cursor ? { cursor } : {}) });
    for (const record of page.items) {
      await steps.denyStatus(record);
      const change = await store.revoke(record.tokenId);
      // A restricting change between the listing and the revoke gave it another index: deny that too.
      if (change.record.statusIdx !== record.statusIdx) await steps.denyStatus(change.record);
      if (!change.changed) continue;
      revoked += 1;
      await steps.emit(tokenEvent("token.revoked", change.record, { actor, reason: "owner" }, now()));
    }
    cursor = page.nextCursor;
  } while (cursor);
  await steps.emit(ownerRevokedEvent(owner, actor, revoked, now()));
  return { revoked, propagation };
}

async function denyJti(steps: ChangeSteps, jti: string, expiresAt: number, by?: ChangeContext) {
  const event: RevocationEvent = {
    type: "deny",
    entry: { kind: "jti", value: jti, expiresAt: expiresAt + DENY_MARGIN_SECONDS },
  };
  const recorded = await steps.record(event);
  steps.applyLocally(event);
  const propagation = await steps.deliver(recorded);
  await steps.emit(jwtDeniedEvent(jti, expiresAt, steps.actorOf(by), steps.now()));
  return { propagation };
}

/** The token changes over `options` (see {@link TokenChanges}). */
export function createTokenChanges(options: TokenChangesOptions): TokenChanges {
  const steps = new ChangeSteps(options);
  return {
    revokeToken: (tokenId, by) => revokeToken(steps, tokenId, by),
    restoreToken: (tokenId, by) => restoreToken(steps, tokenId, by),
    rotateToken: (tokenId, graceSeconds, by) => rotateToken(steps, tokenId, graceSeconds, by),
    updateToken: (tokenId, changes, by) => updateToken(steps, tokenId, changes, by),
    revokeOwner: (owner, by) => revokeOwner(steps, owner, by),
    denyJti: (jti, expiresAt, by) => denyJti(steps, jti, expiresAt, by),
  };
}
