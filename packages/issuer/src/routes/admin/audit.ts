import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import { invalidField } from "../../http/http-error.js";
import { adminErrors } from "./schemas.js";

/** `since`: epoch seconds, or an ISO 8601 date or time. */
function parseSince(text: string): number {
  if (/^\d{1,12}$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    throw invalidField("since", "since must be epoch seconds or an ISO 8601 date or time");
  return Math.floor(ms / 1000);
}

/**
 * `GET /admin/audit`: the global audit trail, newest first, filtered by actor,
 * action and time: owner revocations, jti denials and key rotations (which
 * name no token) as much as every token's lines.
 */
export async function auditRoutes(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  app.get(
    "/audit",
    {
      schema: {
        tags: ["admin"],
        summary: "The global audit trail, newest first",
        security: [{ bearer: [] }],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            actor: { type: "string", maxLength: 300 },
            action: { type: "string", maxLength: 100 },
            since: {
              type: "string",
              description: "epoch seconds or ISO 8601; default: the retention period (400 days)",
            },
            limit: { type: "string", description: "1-100, default 50" },
            cursor: { type: "string" },
          },
        },
        response: adminErrors,
      },
    },
    async (request) => {
      const { actor, action, since, limit, cursor } = request.query as Record<string, string | undefined>;
      const pageSize = limit === undefined ? 50 : /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
        throw invalidField("limit", "limit must be an integer from 1 to 100");
      const reader = ctx.auditTrail?.listAll;
      if (!reader) return { items: [] };
      return reader({
        limit: pageSize,
        ...(cursor !== undefined ? { cursor } : {}),
        ...(since !== undefined ? { since: parseSince(since) } : {}),
        ...(actor !== undefined ? { actor } : {}),
        ...(action !== undefined ? { action } : {}),
      });
    },
  );
}
