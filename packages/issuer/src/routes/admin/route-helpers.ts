import { MAX_DENY_VALUE_LENGTH } from "@patgate/shared";
import type { FastifyRequest } from "fastify";
import type { AuditEvent } from "../../audit/audit-event.js";
import { audited as auditedAction, errorCode } from "../../audit/audited.js";
import type { AppContext } from "../../context.js";
import { HttpError } from "../../http/http-error.js";
import type { Acting } from "../../token-service/token-service.js";
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

export function nowSeconds(ctx: Pick<AppContext, "now">): number {
  return Math.floor(ctx.now() / 1000);
}

/** The admin who calls, and from where: the actor of the token service's audit lines and events. */
export function by(request: FastifyRequest): Acting {
  return { actor: request.admin?.actor ?? "anonymous", ip: request.ip };
}

/**
 * Runs an admin action that is not a token change (`keys.rotate`) and writes
 * its one audit line; `details` say what it acted on (`{ name }`).
 */
export function audited<T>(
  ctx: Pick<AppContext, "audit" | "now">,
  request: FastifyRequest,
  action: string,
  run: () => Promise<T>,
  details?: AuditEvent["details"],
): Promise<T> {
  return auditedAction(ctx.audit, ctx.now, { action, ...by(request), ...(details ? { details } : {}) }, run, {
    reasonOf,
  });
}

/** An HTTP error's OAuth code, else the error's own code. */
function reasonOf(error: unknown): string {
  return error instanceof HttpError ? error.error : errorCode(error);
}
