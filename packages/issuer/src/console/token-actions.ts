import type { FastifyRequest } from "fastify";
import type { IssuerContext } from "../context.js";
import { emitSafely, tokenEvent } from "../events/token-events.js";
import { HttpError, invalidField } from "../http/http-error.js";
import { audited, nowSeconds } from "../routes/admin/route-helpers.js";
import type { TokenRecord } from "../tokens/types.js";
import { checkGraceSeconds, checkOwner } from "../tokens/validation.js";
import type { ConsoleUser } from "./session.js";

/**
 * What the console changes, through the same services (token store, revoker)
 * and the same audit trail as the admin API, attributed to the signed-in
 * person. Every check of who may touch what is here, not in the pages.
 */

/** The audit trail's actor for a console user: `owner (console)`. */
export function consoleActor(user: ConsoleUser): string {
  return `${user.owner} (console)`;
}

/** A 403: the PAT is not theirs, or the role is not one they hold. */
export function forbidden(description: string): HttpError {
  return new HttpError("role_required", { description });
}

/** A PAT of the signed-in owner; 404 when there is none, 403 when it is another owner's (admins included). */
export async function ownToken(ctx: IssuerContext, user: ConsoleUser, tokenId: string): Promise<TokenRecord> {
  const record = /^[0-9A-Za-z]{21}$/.test(tokenId) ? await ctx.store.get(tokenId) : null;
  if (!record) throw new HttpError("token_not_found");
  if (record.owner !== user.owner) throw forbidden("this token belongs to another owner");
  return record;
}

/** What the create form asks for, once read. */
export interface CreateRequest {
  readonly name: string;
  readonly roles: readonly string[];
  /** Seconds from now, or undefined for a PAT that never expires (only when the policy allows it). */
  readonly expiresInSeconds: number | undefined;
  readonly allowedIps: readonly string[];
}

/** Creates a PAT for the signed-in owner with roles they hold; the token is returned once. */
export async function createOwnToken(
  ctx: IssuerContext,
  request: FastifyRequest,
  user: ConsoleUser,
  input: CreateRequest,
): Promise<{ readonly token: string; readonly record: TokenRecord }> {
  const held = new Set(user.roles);
  const notHeld = input.roles.filter((role) => !held.has(role));
  if (notHeld.length > 0) throw forbidden(`you do not hold the role ${notHeld[0]}`);
  const max = ctx.config.maxTokenLifetimeSeconds;
  if (input.expiresInSeconds === undefined && max !== undefined)
    throw invalidField("expires", "tokens must expire under this issuer's policy");
  const expiresAt = input.expiresInSeconds === undefined ? undefined : nowSeconds(ctx) + input.expiresInSeconds;
  const created = await audited(
    ctx,
    request,
    "token.create",
    { actor: consoleActor(user), tokenIdOf: (made) => made.record.tokenId },
    () =>
      ctx.store.issue({
        owner: checkOwner(user.owner),
        roles: input.roles,
        name: input.name,
        ...(expiresAt === undefined ? {} : { expiresAt }),
        ...(input.allowedIps.length > 0 ? { allowedIps: input.allowedIps } : {}),
      }),
  );
  await emitSafely(ctx.events, tokenEvent("token.created", created.record, { actor: consoleActor(user) }, ctx.now()));
  return created;
}

export async function renameOwnToken(
  ctx: IssuerContext,
  request: FastifyRequest,
  user: ConsoleUser,
  tokenId: string,
  name: string,
): Promise<TokenRecord> {
  await ownToken(ctx, user, tokenId);
  const actor = consoleActor(user);
  const outcome = await audited(ctx, request, "token.update", { tokenId, actor, details: { fields: "name" } }, () =>
    ctx.revoker.updateToken(tokenId, { name }, { actor }),
  );
  return outcome.record;
}

export async function rotateOwnToken(
  ctx: IssuerContext,
  request: FastifyRequest,
  user: ConsoleUser,
  tokenId: string,
  graceSeconds: number,
): Promise<{ readonly token: string; readonly record: TokenRecord }> {
  await ownToken(ctx, user, tokenId);
  const actor = consoleActor(user);
  const grace = checkGraceSeconds(graceSeconds);
  return audited(ctx, request, "token.rotate", { tokenId, actor, details: { graceSeconds: grace } }, () =>
    ctx.revoker.rotateToken(tokenId, grace, { actor }),
  );
}

/** Revokes a PAT: the owner's own, or (for a console admin, from the admin pages) anyone's. */
export async function revokeToken(
  ctx: IssuerContext,
  request: FastifyRequest,
  user: ConsoleUser,
  tokenId: string,
  as: "owner" | "admin",
): Promise<TokenRecord> {
  if (as === "owner") await ownToken(ctx, user, tokenId);
  else if (!user.admin) throw forbidden("an admin is required");
  const actor = consoleActor(user);
  ctx.metrics.revocations.inc({ kind: "token" });
  const outcome = await audited(ctx, request, "token.revoke", { tokenId, actor }, () =>
    ctx.revoker.revokeToken(tokenId, { actor }),
  );
  return outcome.record;
}

/**
 * A console admin puts a failed webhook delivery back in the queue, through
 * the same service as `POST /admin/webhooks/deliveries/{id}/retry`, with the
 * same audit line; false when there is no failed delivery by that id.
 */
export async function retryDelivery(
  ctx: IssuerContext,
  request: FastifyRequest,
  user: ConsoleUser,
  eventId: string,
): Promise<boolean> {
  if (!user.admin) throw forbidden("an admin is required");
  const requeued = ctx.webhooks ? await ctx.webhooks.retry(eventId) : false;
  ctx.audit.record({
    action: "webhook.retry",
    actor: consoleActor(user),
    ip: request.ip,
    result: requeued ? "success" : "failure",
    ...(requeued ? {} : { reason: "not_found" }),
    at: nowSeconds(ctx),
    details: { eventId },
  });
  return requeued;
}

/** A console admin revokes every PAT of an owner. */
export async function revokeOwner(
  ctx: IssuerContext,
  request: FastifyRequest,
  user: ConsoleUser,
  ownerText: string,
): Promise<number> {
  if (!user.admin) throw forbidden("an admin is required");
  const owner = checkOwner(ownerText);
  const actor = consoleActor(user);
  ctx.metrics.revocations.inc({ kind: "owner" });
  const result = await audited(ctx, request, "owner.revoke", { actor, details: { owner } }, () =>
    ctx.revoker.revokeOwner(owner, { actor }),
  );
  return result.revoked;
}
