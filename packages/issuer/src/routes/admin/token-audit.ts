import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import { HttpError, invalidField } from "../../http/http-error.js";
import { security } from "./route-helpers.js";
import { tokenIdParams } from "./schemas.js";

/** `GET /admin/tokens/{tokenId}/audit`: the audit trail of one PAT, newest first. */
export async function tokenAuditRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  const { store } = ctx;
  app.get(
    "/tokens/:tokenId/audit",
    {
      schema: {
        tags: ["admin"],
        summary: "The audit trail of a PAT, newest first",
        security,
        params: tokenIdParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "string" }, cursor: { type: "string" } },
        },
      },
    },
    async (request) => {
      const { tokenId } = request.params as { tokenId: string };
      const { limit, cursor } = request.query as { limit?: unknown; cursor?: unknown };
      if (!ctx.auditTrail) return { items: [] };
      const pageSize =
        limit === undefined ? 50 : typeof limit === "string" && /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100)
        throw invalidField("limit", "limit must be an integer from 1 to 100");
      if (cursor !== undefined && typeof cursor !== "string")
        throw invalidField("cursor", "cursor must not be repeated");
      if ((await store.get(tokenId)) === null) throw new HttpError("token_not_found");
      return ctx.auditTrail.list(tokenId, { limit: pageSize, ...(cursor !== undefined ? { cursor } : {}) });
    },
  );
}
