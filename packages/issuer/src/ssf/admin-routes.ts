import { Type } from "typebox";
import type { AppContext } from "../context.js";
import { HttpError, invalidField } from "../http/http-error.js";
import { pageQuery, pageSize } from "../http/page-query.js";
import type { IssuerApp } from "../http/typed-app.js";
import type { WebhookDelivery } from "../webhooks/webhook-deliveries.js";
import type { Ssf } from "./ssf.js";
import { eventsDelivered } from "./stream-config.js";
import type { StreamRecord } from "./stream-record.js";
import { PUSH_METHOD } from "./vocabulary.js";

const security = [{ bearer: [] }];
const tags = ["admin", "shared signals"];

/** A stream as an admin sees it: its state, where it goes, its last delivery and what waits. */
export async function adminStreamView(ssf: Ssf, stream: StreamRecord) {
  return {
    streamId: stream.streamId,
    receiver: stream.receiver,
    status: stream.status,
    ...(stream.reason === undefined ? {} : { reason: stream.reason }),
    method: stream.delivery.method,
    ...(stream.delivery.method === PUSH_METHOD ? { endpointUrl: stream.delivery.endpointUrl } : {}),
    eventsDelivered: eventsDelivered(stream),
    ...(stream.description === undefined ? {} : { description: stream.description }),
    createdAt: stream.createdAt,
    ...(stream.lastDelivery ? { lastDelivery: stream.lastDelivery } : {}),
    queued: await ssf.queue.count(stream.streamId),
  };
}

function deliveryView(delivery: WebhookDelivery) {
  const { id, type, state, attempts, createdAt, dueAt, lastAttemptAt, lastStatus, lastError, failedAt } = delivery;
  return {
    jti: id,
    streamId: type,
    state,
    attempts,
    createdAt,
    ...(state === "pending" && dueAt !== undefined ? { nextAttemptAt: dueAt } : {}),
    ...(failedAt === undefined ? {} : { failedAt }),
    ...(lastAttemptAt === undefined ? {} : { lastAttemptAt }),
    ...(lastStatus === undefined ? {} : { lastStatus }),
    ...(lastError === undefined ? {} : { lastError }),
  };
}

/**
 * `GET /admin/ssf/streams` (every stream, with its state and last delivery),
 * `GET /admin/ssf/deliveries` (SET pushes that failed, or are pending) and
 * `POST /admin/ssf/deliveries/{jti}/retry`. Inside the admin routes, so their
 * authentication applies.
 */
export async function ssfAdminRoutes(app: IssuerApp, ctx: Pick<AppContext, "audit" | "now" | "ssf">): Promise<void> {
  const { ssf, audit, now } = ctx;
  app.get(
    "/ssf/streams",
    { schema: { tags, summary: "Shared Signals streams, with state and last delivery", security } },
    async () => {
      if (!ssf) return { items: [] };
      const streams = await ssf.streams.listAll();
      return { items: await Promise.all(streams.map((s) => adminStreamView(ssf, s))) };
    },
  );

  app.get(
    "/ssf/deliveries",
    {
      schema: {
        tags,
        summary: "SET pushes that failed (or are pending), newest first",
        security,
        querystring: Type.Object({
          state: Type.Optional(Type.String({ description: "failed (default) or pending" })),
          ...pageQuery(100, 50),
        }),
      },
    },
    async (request) => {
      const { state = "failed", limit, cursor } = request.query;
      if (state !== "failed" && state !== "pending") throw invalidField("state", "state must be failed or pending");
      if (!ssf) return { items: [] };
      const page = await ssf.push.deliveries.list({
        state,
        limit: pageSize(limit, 100, 50),
        ...(cursor ? { cursor } : {}),
      });
      return { items: page.items.map(deliveryView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  app.post(
    "/ssf/deliveries/:jti/retry",
    {
      schema: {
        tags,
        summary: "Push a failed SET again (same jti), with a fresh set of attempts",
        security,
        params: Type.Object({ jti: Type.String() }),
      },
    },
    async (request, reply) => {
      const { jti } = request.params;
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(jti)) throw new HttpError("delivery_not_found");
      const requeued = ssf ? await ssf.push.retry(jti) : false;
      audit.record({
        action: "ssf.retry",
        actor: request.admin?.actor ?? "anonymous",
        ip: request.ip,
        result: requeued ? "success" : "failure",
        ...(requeued ? {} : { reason: "not_found" }),
        at: Math.floor(now() / 1000),
        details: { jti },
      });
      if (!requeued) throw new HttpError("delivery_not_found");
      return reply.status(202).send({ jti, state: "pending" });
    },
  );
}
