import { Type } from "typebox";
import type { AppContext } from "../../context.js";
import { HttpError } from "../../http/http-error.js";
import { pageQuery, pageSize } from "../../http/page-query.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { security } from "./route-helpers.js";
import { tokenIdParams } from "./schemas.js";

/** `GET /admin/tokens/{tokenId}/audit`: the audit trail of one PAT, newest first. */
export async function tokenAuditRoute(app: IssuerApp, ctx: Pick<AppContext, "auditTrail" | "store">): Promise<void> {
  const { store } = ctx;
  app.get(
    "/tokens/:tokenId/audit",
    {
      schema: {
        tags: ["admin"],
        summary: "The audit trail of a PAT, newest first",
        security,
        params: tokenIdParams,
        querystring: Type.Object(pageQuery(100, 50), { additionalProperties: false }),
      },
    },
    async (request) => {
      const { tokenId } = request.params;
      const { limit, cursor } = request.query;
      if (!ctx.auditTrail) return { items: [] };
      const size = pageSize(limit, 100, 50);
      if ((await store.get(tokenId)) === null) throw new HttpError("token_not_found");
      return ctx.auditTrail.list(tokenId, { limit: size, ...(cursor !== undefined ? { cursor } : {}) });
    },
  );
}
