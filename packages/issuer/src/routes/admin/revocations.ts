import { Type } from "typebox";
import type { AppContext } from "../../context.js";
import { pageQuery, pageSize } from "../../http/page-query.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { security } from "./route-helpers.js";

/** `GET /admin/revocations`: recent revocations and how far each got. */
export async function revocationsRoute(app: IssuerApp, ctx: Pick<AppContext, "outbox">): Promise<void> {
  app.get(
    "/revocations",
    {
      schema: {
        tags: ["admin"],
        summary: "Recent revocations and whether each has reached the deny-list",
        description:
          "state: pending (on its way), propagated (on the deny-list) or failed (given up on, with the reason; kept a week).",
        security,
        // The newest ones only: no cursor.
        querystring: Type.Object({ limit: pageQuery(500, 100).limit }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const items = await ctx.outbox.recent(pageSize(request.query.limit, 500, 100));
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
