import { Type } from "typebox";
import type { AppContext } from "../../context.js";
import { invalidField } from "../../http/http-error.js";
import { pageQuery, pageSize } from "../../http/page-query.js";
import type { IssuerApp } from "../../http/typed-app.js";
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
export async function auditRoutes(app: IssuerApp, ctx: Pick<AppContext, "auditTrail">): Promise<void> {
  app.get(
    "/audit",
    {
      schema: {
        tags: ["admin"],
        summary: "The global audit trail, newest first",
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            actor: Type.Optional(Type.String({ maxLength: 300 })),
            action: Type.Optional(Type.String({ maxLength: 100 })),
            since: Type.Optional(
              Type.String({ description: "epoch seconds or ISO 8601; default: the retention period (400 days)" }),
            ),
            ...pageQuery(100, 50),
          },
          { additionalProperties: false },
        ),
        response: adminErrors,
      },
    },
    async (request) => {
      const { actor, action, since, limit, cursor } = request.query;
      const size = pageSize(limit, 100, 50);
      const reader = ctx.auditTrail?.listAll;
      if (!reader) return { items: [] };
      return reader({
        limit: size,
        ...(cursor !== undefined ? { cursor } : {}),
        ...(since !== undefined ? { since: parseSince(since) } : {}),
        ...(actor !== undefined ? { actor } : {}),
        ...(action !== undefined ? { action } : {}),
      });
    },
  );
}
