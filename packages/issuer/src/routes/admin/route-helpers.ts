import { MAX_DENY_VALUE_LENGTH } from "@patgate/shared";
import type { FastifyRequest } from "fastify";
import type { AuditEvent } from "../../audit/audit-event.js";
import type { IssuerContext } from "../../context.js";
import { HttpError } from "../../http/http-error.js";
import { adminErrors, propagationSchema, tokenRecordSchema } from "./schemas.js";

/** Every admin route takes a bearer JWT (OpenAPI). */
export const security = [{ bearer: [] }];

/** A jti is a deny-list value; ours are 22 characters, 256 leaves room for other issuers' formats. */
export const MAX_JTI_LENGTH = Math.min(256, MAX_DENY_VALUE_LENGTH);

/** The response of a change to a token: the record after it, and how far its revocation got. */
export const changeResponse = {
  200: {
    type: "object",
    properties: { record: tokenRecordSchema, changed: { type: "boolean" }, propagation: propagationSchema },
  },
  ...adminErrors,
} as const;

export function nowSeconds(ctx: IssuerContext): number {
  return Math.floor(ctx.now() / 1000);
}

/** The admin, for the events of the changes it makes. */
export function by(request: FastifyRequest): { readonly actor: string } {
  return { actor: request.admin?.actor ?? "anonymous" };
}

/** Runs an admin action and writes its one audit line, success or failure. */
export async function audited<T>(
  ctx: IssuerContext,
  request: FastifyRequest,
  action: string,
  target: {
    tokenId?: string;
    details?: AuditEvent["details"];
    tokenIdOf?: (result: T) => string;
    /** Who acted, when not the admin API's caller (the console's signed-in person). */
    actor?: string;
  },
  run: () => Promise<T>,
): Promise<T> {
  const base = {
    action,
    actor: target.actor ?? request.admin?.actor ?? "anonymous",
    ...(target.tokenId ? { tokenId: target.tokenId } : {}),
    ip: request.ip,
    ...(target.details ? { details: target.details } : {}),
  };
  try {
    const result = await run();
    // A token made by the action is named on its one line.
    const made = target.tokenIdOf?.(result);
    ctx.audit.record({ ...base, ...(made ? { tokenId: made } : {}), result: "success", at: nowSeconds(ctx) });
    return result;
  } catch (error) {
    const reason = error instanceof HttpError ? error.error : ((error as { code?: string }).code ?? "error");
    ctx.audit.record({ ...base, result: "failure", reason, at: nowSeconds(ctx) });
    throw error;
  }
}
