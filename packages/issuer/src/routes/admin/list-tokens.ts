import type { AppContext } from "../../context.js";
import { pageSize } from "../../http/page-query.js";
import type { IssuerApp } from "../../http/typed-app.js";
import type { ListOptions } from "../../tokens/types.js";
import { security } from "./route-helpers.js";
import { adminErrors, listQuery, tokenRecordSchema } from "./schemas.js";

/** `GET /admin/tokens`: a page of PATs, filtered by owner, role and status. */
export async function listTokensRoute(app: IssuerApp, ctx: Pick<AppContext, "store">): Promise<void> {
  const { store } = ctx;
  app.get(
    "/tokens",
    {
      schema: {
        tags: ["admin"],
        summary: "List PATs, filtered, with a cursor",
        security,
        querystring: listQuery,
        response: {
          200: {
            type: "object",
            properties: { items: { type: "array", items: tokenRecordSchema }, nextCursor: { type: "string" } },
          },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      // The schema lets each parameter through once, as a string.
      const { owner, role, limit, cursor, active } = request.query;
      const options: ListOptions = {
        ...(owner !== undefined ? { owner } : {}),
        ...(role !== undefined ? { hasRole: role } : {}),
        limit: pageSize(limit, 100, 50),
        ...(cursor !== undefined ? { cursor } : {}),
        ...(active === "true" ? { includeRevoked: false, includeExpired: false } : {}),
      };
      return store.list(options);
    },
  );
}
