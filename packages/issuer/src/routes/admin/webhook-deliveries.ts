import { Type } from "typebox";
import type { AppContext } from "../../context.js";
import { HttpError, invalidField } from "../../http/http-error.js";
import { pageQuery, pageSize } from "../../http/page-query.js";
import type { IssuerApp } from "../../http/typed-app.js";
import type { WebhookDelivery } from "../../webhooks/webhook-deliveries.js";
import { adminErrors } from "./schemas.js";

const security = [{ bearer: [] }];

const deliverySchema = {
  type: "object",
  properties: {
    id: { type: "string", description: "the event id, sent as webhook-id" },
    type: { type: "string", description: "token.created, token.revoked, ..." },
    state: { type: "string", enum: ["pending", "failed"] },
    attempts: { type: "integer" },
    createdAt: { type: "integer", description: "epoch ms the event was recorded" },
    nextAttemptAt: { type: "integer", description: "pending: epoch ms the next attempt is due" },
    failedAt: { type: "integer", description: "failed: epoch ms the last attempt failed" },
    lastAttemptAt: { type: "integer" },
    lastStatus: { type: "integer", description: "HTTP status of the last attempt, when the receiver answered" },
    lastError: { type: "string" },
    event: {
      type: "object",
      description: "the body POSTed to the receiver",
      properties: {
        type: { type: "string" },
        timestamp: { type: "string" },
        data: { type: "object", additionalProperties: true },
      },
    },
  },
} as const;

function view(delivery: WebhookDelivery) {
  const { id, type, state, attempts, createdAt, dueAt, lastAttemptAt, lastStatus, lastError, failedAt, body } =
    delivery;
  return {
    id,
    type,
    state,
    attempts,
    createdAt,
    ...(state === "pending" && dueAt !== undefined ? { nextAttemptAt: dueAt } : {}),
    ...(failedAt === undefined ? {} : { failedAt }),
    ...(lastAttemptAt === undefined ? {} : { lastAttemptAt }),
    ...(lastStatus === undefined ? {} : { lastStatus }),
    ...(lastError === undefined ? {} : { lastError }),
    event: JSON.parse(body) as unknown,
  };
}

/**
 * `GET /admin/webhooks/deliveries`: webhook deliveries whose attempts were
 * all spent (`state=failed`, the default) or still under way
 * (`state=pending`), newest first. `POST /admin/webhooks/deliveries/{id}/retry`
 * puts a failed one back in the queue. Registered inside the admin routes, so
 * their authentication applies.
 */
export async function webhookDeliveryRoutes(
  app: IssuerApp,
  ctx: Pick<AppContext, "audit" | "now" | "webhooks">,
): Promise<void> {
  const { webhooks, audit, now } = ctx;

  app.get(
    "/webhooks/deliveries",
    {
      schema: {
        tags: ["admin"],
        summary: "Webhook deliveries that failed (or are pending), newest first",
        security,
        querystring: Type.Object({
          state: Type.Optional(Type.String({ description: "failed (default) or pending" })),
          ...pageQuery(100, 50),
        }),
        response: {
          200: {
            type: "object",
            properties: { items: { type: "array", items: deliverySchema }, nextCursor: { type: "string" } },
          },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      const { state = "failed", limit, cursor } = request.query;
      if (state !== "failed" && state !== "pending") throw invalidField("state", "state must be failed or pending");
      const size = pageSize(limit, 100, 50);
      if (!webhooks) return { items: [] };
      const page = await webhooks.deliveries.list({ state, limit: size, ...(cursor ? { cursor } : {}) });
      return { items: page.items.map(view), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.post(
    "/webhooks/deliveries/:id/retry",
    {
      schema: {
        tags: ["admin"],
        summary: "Deliver a failed webhook event again (same webhook-id), with a fresh set of attempts",
        security,
        params: Type.Object({ id: Type.String() }),
        response: {
          202: { type: "object", properties: { id: { type: "string" }, state: { type: "string" } } },
          ...adminErrors,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!/^msg_[A-Za-z0-9_-]{1,200}$/.test(id)) throw new HttpError("delivery_not_found");
      const requeued = webhooks ? await webhooks.retry(id) : false;
      audit.record({
        action: "webhook.retry",
        actor: request.admin?.actor ?? "anonymous",
        ip: request.ip,
        result: requeued ? "success" : "failure",
        ...(requeued ? {} : { reason: "not_found" }),
        at: Math.floor(now() / 1000),
        details: { eventId: id },
      });
      if (!requeued) throw new HttpError("delivery_not_found");
      return reply.status(202).send({ id, state: "pending" });
    },
  );
}
