import type { FastifyRequest } from "fastify";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import type { AppContext } from "../context.js";
import { HttpError, invalidField } from "../http/http-error.js";
import { nowSeconds } from "../routes/admin/route-helpers.js";
import type { Acting } from "../token-service/token-service.js";
import type { TokenRecord } from "../tokens/types.js";
import { checkGraceSeconds, checkOwner } from "../tokens/validation.js";
import { mayManage } from "./service-account-access.js";
import type { ConsoleUser } from "./session.js";

/**
 * What the console changes, through the same token service as the admin API
 * (its audit lines, events and metrics), attributed to the signed-in person.
 * Every check of who may touch what is here, not in the pages.
 */

/** The audit trail's actor for a console user: `owner (console)`. */
export function consoleActor(user: ConsoleUser): string {
  return `${user.owner} (console)`;
}

/** The signed-in person and their address, for the token service; a member acting for a service account says so. */
function acting(request: FastifyRequest, user: ConsoleUser, owner = user.owner): Acting {
  return { actor: consoleActor(user), ip: request.ip, ...(owner === user.owner ? {} : { onBehalfOf: owner }) };
}

/** A 403: the PAT is not theirs, or the role is not one they hold. */
export function forbidden(description: string): HttpError {
  return new HttpError("role_required", { description });
}

/** A PAT of the signed-in owner; 404 when there is none, 403 when it is another owner's (admins included). */
export async function ownToken(ctx: AppContext, user: ConsoleUser, tokenId: string): Promise<TokenRecord> {
  const record = /^[0-9A-Za-z]{21}$/.test(tokenId) ? await ctx.store.get(tokenId) : null;
  if (!record) throw new HttpError("token_not_found");
  if (!(await mayManage(ctx, user, record.owner))) throw forbidden("this token belongs to another owner");
  return record;
}

/** What the create form asks for, once read. */
export interface CreateRequest {
  readonly name: string;
  readonly roles: readonly string[];
  /** Seconds from now, or undefined for a PAT that never expires (only when the policy allows it). */
  readonly expiresInSeconds: number | undefined;
  readonly allowedIps: readonly string[];
  /** Proof of possession: bind to the first exchange's key, or to a key's thumbprint now. */
  readonly dpop?: "first_use" | { readonly jkt: string };
  /** A service account the person is a member of; absent: their own. */
  readonly owner?: string;
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

/** Creates a PAT for the signed-in owner with roles they hold; the token is returned once. */
export async function createOwnToken(
  ctx: AppContext,
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
  const owner = input.owner ?? user.owner;
  if (!(await mayManage(ctx, user, owner))) throw forbidden("you are not a member of that service account");
  // The store checks the owner, as every other value, inside the audited attempt.
  return ctx.tokenService.create(
    {
      owner,
      roles: input.roles,
      name: input.name,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(input.allowedIps.length > 0 ? { allowedIps: input.allowedIps } : {}),
      ...(input.dpop === "first_use" ? { dpopBindOnFirstUse: true } : {}),
      ...(typeof input.dpop === "object" ? { dpopJkt: input.dpop.jkt } : {}),
      ...(input.authorizationDetails?.length ? { authorizationDetails: input.authorizationDetails } : {}),
    },
    acting(request, user, owner),
  );
}

export async function renameOwnToken(
  ctx: AppContext,
  request: FastifyRequest,
  user: ConsoleUser,
  tokenId: string,
  name: string,
): Promise<TokenRecord> {
  const { owner } = await ownToken(ctx, user, tokenId);
  const outcome = await ctx.tokenService.update(tokenId, { name }, acting(request, user, owner));
  return outcome.record;
}

/** Binds the owner's PAT to another key, through the token service (JWTs bound to the old key are denied). */
export async function rebindOwnToken(
  ctx: AppContext,
  request: FastifyRequest,
  user: ConsoleUser,
  tokenId: string,
  dpopJkt: string,
): Promise<TokenRecord> {
  await ownToken(ctx, user, tokenId);
  const outcome = await ctx.tokenService.update(tokenId, { dpopJkt }, acting(request, user));
  return outcome.record;
}

export async function rotateOwnToken(
  ctx: AppContext,
  request: FastifyRequest,
  user: ConsoleUser,
  tokenId: string,
  graceSeconds: number,
): Promise<{ readonly token: string; readonly record: TokenRecord }> {
  const { owner } = await ownToken(ctx, user, tokenId);
  // Checked before the service: a bad grace period from the form is no audited attempt.
  const grace = checkGraceSeconds(graceSeconds);
  return ctx.tokenService.rotate(tokenId, grace, acting(request, user, owner));
}

/** Revokes a PAT: the owner's own, or (for a console admin, from the admin pages) anyone's. */
export async function revokeTokenAs(
  ctx: AppContext,
  request: FastifyRequest,
  user: ConsoleUser,
  tokenId: string,
  as: "owner" | "admin",
): Promise<TokenRecord> {
  const owner = as === "owner" ? (await ownToken(ctx, user, tokenId)).owner : user.owner;
  if (as === "admin" && !user.admin) throw forbidden("an admin is required");
  const outcome = await ctx.tokenService.revoke(tokenId, acting(request, user, owner));
  return outcome.record;
}

/**
 * A console admin puts a failed webhook delivery back in the queue, through
 * the same service as `POST /admin/webhooks/deliveries/{id}/retry`, with the
 * same audit line; false when there is no failed delivery by that id.
 */
export async function retryDelivery(
  ctx: AppContext,
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
export async function revokeOwnerAs(
  ctx: AppContext,
  request: FastifyRequest,
  user: ConsoleUser,
  ownerText: string,
): Promise<number> {
  if (!user.admin) throw forbidden("an admin is required");
  const owner = checkOwner(ownerText);
  const result = await ctx.tokenService.revokeOwner(owner, acting(request, user));
  return result.revoked;
}
