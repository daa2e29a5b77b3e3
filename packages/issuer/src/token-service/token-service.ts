import { type AuditSink, noAudit } from "../audit/audit-event.js";
import { audited, type PendingAuditLine } from "../audit/audited.js";
import { type EventSink, emitSafely, noEvents, tokenEvent } from "../events/token-events.js";
import type { Counter } from "../metrics/registry.js";
import type { Propagation } from "../revocation/propagator.js";
import type { RevocationOutcome, TokenChanges } from "../revocation/token-changes.js";
import { type OwnerCheck, ownerMustExist, ownerStillExists } from "../service-accounts/owner-check.js";
import type { IssueInput, TokenRecord, TokenStore, TokenUpdate } from "../tokens/types.js";
import { type HolderAndPolicyChanges, holderAndPolicyChanges } from "./holder-and-policy.js";

/** Who asks for a change: the actor of its audit line and events, and the address it came from. */
export interface Acting {
  /** `owner (tokenId)` of an admin PAT, `alice (console)`, `cli`, ... */
  readonly actor: string;
  /** The client address, for the audit line; absent where there is none (the CLI on the store). */
  readonly ip?: string;
  /** The service account a member acts for (`svc:deploy`): kept on the audit line as `for`. */
  readonly onBehalfOf?: string;
}

/** A PAT just made: the token (shown once) and its record. */
export interface CreatedToken {
  readonly token: string;
  readonly record: TokenRecord;
}

/**
 * Every change an admin makes to PATs, whoever the admin is (the admin API,
 * the console, the CLI on the store): each writes its one audit line, emits
 * its lifecycle events and counts its metric. The admin routes, the console
 * and the CLI are adapters over it; so are the holder's `POST /revoke` and
 * self-rotation, the leak response and the unused-token policy (see
 * {@link HolderAndPolicyChanges}): nothing else writes these lines or events.
 */
export interface TokenService extends HolderAndPolicyChanges {
  /** Creates a PAT (`token.create`, `token.created`). */
  create(input: IssueInput, by: Acting): Promise<CreatedToken>;
  /** Changes a PAT (`token.update`, `token.updated`); a restricting change denies the JWTs minted before. */
  update(tokenId: string, changes: TokenUpdate, by: Acting): Promise<RevocationOutcome>;
  /** A new secret, the old one working `graceSeconds` more (`token.rotate`, `token.rotated`). */
  rotate(tokenId: string, graceSeconds: number, by: Acting): Promise<RevocationOutcome & { readonly token: string }>;
  /** Lifts a revocation for JWTs minted from now on (`token.restore`, `token.restored`). */
  restore(tokenId: string, by: Acting): Promise<RevocationOutcome>;
  /** Revokes a PAT and every JWT minted from it (`token.revoke`, `token.revoked`). */
  revoke(tokenId: string, by: Acting): Promise<RevocationOutcome>;
  /** Revokes every PAT of an owner (`owner.revoke`, `token.revoked` each, `owner.revoked`). */
  revokeOwner(owner: string, by: Acting): Promise<{ readonly revoked: number; readonly propagation: Propagation }>;
  /** Denies one JWT by its `jti` until `expiresAt` (`jwt.deny`). */
  denyJti(jti: string, expiresAt: number, by: Acting): Promise<{ readonly propagation: Propagation }>;
}

export interface TokenServiceOptions {
  readonly store: TokenStore;
  /** Writes every change but creation, with its revocation (see `TokenChanges`); emits their events. */
  readonly tokenChanges: TokenChanges;
  /** Default: no trail (the CLI on the store keeps none). */
  readonly audit?: AuditSink;
  /** Where `token.created` and `token.leaked` go (the token changes emit the others to the same sink); default nowhere. */
  readonly events?: EventSink;
  /** `patgate_revocations_total`, by kind; absent: not counted (no process serves the metrics). */
  readonly revocations?: Counter;
  /** Current time, epoch ms. */
  readonly now?: () => number;
  /** Service accounts: a PAT for (or moved to) `svc:<name>` needs the account (404 otherwise); absent: not checked. */
  readonly serviceAccounts?: OwnerCheck;
}

/** The token service over `options` (see {@link TokenService}). */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { store, tokenChanges, audit = noAudit, events = noEvents, revocations, now = Date.now } = options;
  const line = (action: string, by: Acting, extra: Omit<PendingAuditLine, "action" | "actor" | "ip">) => ({
    action,
    actor: by.actor,
    ...(by.ip === undefined ? {} : { ip: by.ip }),
    ...extra,
    ...(by.onBehalfOf === undefined ? {} : { details: { ...extra.details, for: by.onBehalfOf } }),
  });
  const run = <T>(pending: PendingAuditLine, change: () => Promise<T>) => audited(audit, now, pending, change);
  const attributed = (by: Acting) => ({ actor: by.actor });

  return {
    ...holderAndPolicyChanges({ tokenChanges, audit, events, now }),
    async create(input, by) {
      await ownerMustExist(options.serviceAccounts, input.owner);
      const created = await audited(
        audit,
        now,
        line("token.create", by, {}),
        async () => {
          const made = await store.issue(input);
          await ownerStillExists(options.serviceAccounts, input.owner, () =>
            tokenChanges.revokeToken(made.record.tokenId, attributed(by)),
          );
          return made;
        },
        { tokenIdOf: (made) => made.record.tokenId },
      );
      await emitSafely(events, tokenEvent("token.created", created.record, attributed(by), now()));
      return created;
    },
    update: (tokenId, changes, by) =>
      run(line("token.update", by, { tokenId, details: { fields: Object.keys(changes).join(",") } }), async () => {
        await ownerMustExist(options.serviceAccounts, changes.owner);
        const outcome = await tokenChanges.updateToken(tokenId, changes, attributed(by));
        await ownerStillExists(options.serviceAccounts, changes.owner, () =>
          tokenChanges.revokeToken(tokenId, attributed(by)),
        );
        return outcome;
      }),
    rotate: (tokenId, graceSeconds, by) =>
      run(line("token.rotate", by, { tokenId, details: { graceSeconds } }), () =>
        tokenChanges.rotateToken(tokenId, graceSeconds, attributed(by)),
      ),
    restore: (tokenId, by) =>
      run(line("token.restore", by, { tokenId }), () => tokenChanges.restoreToken(tokenId, attributed(by))),
    revoke(tokenId, by) {
      revocations?.inc({ kind: "token" });
      return run(line("token.revoke", by, { tokenId }), () => tokenChanges.revokeToken(tokenId, attributed(by)));
    },
    revokeOwner(owner, by) {
      revocations?.inc({ kind: "owner" });
      return run(line("owner.revoke", by, { details: { owner } }), () =>
        tokenChanges.revokeOwner(owner, attributed(by)),
      );
    },
    denyJti(jti, expiresAt, by) {
      revocations?.inc({ kind: "jti" });
      return run(line("jwt.deny", by, { details: { jti } }), () =>
        tokenChanges.denyJti(jti, expiresAt, attributed(by)),
      );
    },
  };
}
