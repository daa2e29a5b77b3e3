import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import { invalidField } from "../../http/http-error.js";
import type { ListOptions } from "../../tokens/types.js";
import { security } from "./route-helpers.js";
import { adminErrors, listQuery, tokenRecordSchema } from "./schemas.js";

/** `GET /admin/tokens`: a page of PATs, filtered by owner, role and status. */
export async function listTokensRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
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
      const query = request.query as Record<string, unknown>;
      for (const [key, value] of Object.entries(query)) {
        if (Array.isArray(value)) throw invalidField(key, `${key} must not be repeated`);
      }
      const { owner, role, limit, cursor, active } = query as Record<string, string | undefined>;
      let pageSize: number | undefined;
      if (limit !== undefined) {
        pageSize = /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
        if (!Number.isInteger(pageSize)) throw invalidField("limit", "limit must be an integer from 1 to 100");
      }
      const options: ListOptions = {
        ...(owner !== undefined ? { owner } : {}),
        ...(role !== undefined ? { hasRole: role } : {}),
        ...(pageSize !== undefined ? { limit: pageSize } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
        ...(active === "true" ? { includeRevoked: false, includeExpired: false } : {}),
      };
      return store.list(options);
    },
  );
}
