import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import { invalidField } from "../../http/http-error.js";
import { security } from "./route-helpers.js";

/** `GET /admin/revocations`: recent revocations and how far each got. */
export async function revocationsRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  app.get(
    "/revocations",
    {
      schema: {
        tags: ["admin"],
        summary: "Recent revocations and whether each has reached the deny-list",
        description:
          "state: pending (on its way), propagated (on the deny-list) or failed (given up on, with the reason; kept a week).",
        security,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "string", description: "1-500, default 100" } },
        },
      },
    },
    async (request) => {
      const { limit } = request.query as { limit?: unknown };
      const size =
        limit === undefined ? 100 : typeof limit === "string" && /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
      if (!Number.isInteger(size) || size < 1 || size > 500)
        throw invalidField("limit", "limit must be an integer from 1 to 500");
      const items = await ctx.outbox.recent(size);
      return {
        pending: items.filter((i) => i.state === "pending").length,
        failed: items.filter((i) => i.state === "failed").length,
        items: items.map((i) => ({
          id: i.id,
          state: i.state,
          acceptedAt: i.createdAt,
          ...(i.propagatedAt !== undefined
            ? { propagatedAt: i.propagatedAt, lagMs: i.propagatedAt - i.createdAt }
            : {}),
          ...(i.failedAt !== undefined ? { failedAt: i.failedAt } : {}),
          ...(i.reason !== undefined ? { reason: i.reason } : {}),
          event: i.event,
        })),
      };
    },
  );
}
