import { type RedisKeys, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { startRedisServer } from "../../../../test/harness/redis-server.js";
import { until } from "../../../../test/harness/until.js";
import {
  newWebhookSecret,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../../../test/harness/webhook-receiver.js";
import { type TokenEvent, tokenEvent } from "../../src/events/token-events.js";
import { createIssuerMetrics, type IssuerMetrics } from "../../src/metrics/issuer-metrics.js";
import { commandConnectionOptions } from "../../src/redis/connection-options.js";
import {
  createWebhookDeliveries,
  createWebhookTable,
  type WebhookDeliveries,
} from "../../src/webhooks/webhook-deliveries.js";
import { createWebhooks, type Webhooks } from "../../src/webhooks/webhooks.js";
import { adminCall, type TestIssuer, testIssuer } from "../app-fixture.js";

// Webhooks with Redis: BullMQ carries each delivery (job id = event id), the
// delivery table records it first. A receiver on 127.0.0.1 checks every
// signature with its own HMAC.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const secret = newWebhookSecret();
let receiver: WebhookReceiver;
let deliveries: WebhookDeliveries;
let webhooks: Webhooks;
let metrics: IssuerMetrics;
let issuer: TestIssuer;
let admin: string;
const emitted: TokenEvent[] = [];

/** The delivery's record once it says delivered: it is written a moment after the receiver accepted. */
async function delivered(deliveries: { get(id: string): Promise<{ state: string } | undefined | null> }, id: string) {
  return until(
    async () => {
      const record = await deliveries.get(id);
      return record?.state === "delivered" ? record : undefined;
    },
    { message: "the delivery recorded" },
  );
}

function redisWebhooks(
  url: string,
  keys: RedisKeys,
  extra: { metrics?: IssuerMetrics; deliveries?: WebhookDeliveries } = {},
): Webhooks {
  const connection = new Redis(url, commandConnectionOptions());
  connection.on("error", () => {});
  const made = createWebhooks({
    deliveries: extra.deliveries ?? deliveries,
    webhook: { url: receiver.url, secret },
    redis: { connection, keys, worker: true, lockDurationMs: 2000, sweepIntervalMs: 200, sweepGraceMs: 1000 },
    retry: { attempts: 4, backoffMs: 100 },
    ...(extra.metrics
      ? {
          onDelivered: () => extra.metrics?.webhooksDelivered.inc(),
          onFailed: () => extra.metrics?.webhooksFailed.inc(),
          onPending: (count: number) => extra.metrics?.webhooksPending.set(count),
        }
      : {}),
  });
  cleanups.push(async () => {
    await made.close();
    connection.disconnect();
  });
  return made;
}

beforeAll(async () => {
  const client = testDynamoClient();
  const table = uniqueName("webhooks");
  await createWebhookTable(client, table);
  deliveries = createWebhookDeliveries(client, table);
  receiver = await startWebhookReceiver(secret);
  cleanups.push(() => receiver.close());
  metrics = createIssuerMetrics();
  webhooks = redisWebhooks(redisUrl(), redisKeys(uniqueName("hooks")), { metrics });
  issuer = await testIssuer(
    {},
    {
      metrics,
      webhooks,
      events: {
        async emit(event) {
          emitted.push(event);
          await webhooks.sink.emit(event);
        },
      },
    },
  );
  admin = await issuer.adminJwt();
});

function call(method: "GET" | "POST" | "PATCH", url: string, payload?: Record<string, unknown>) {
  return adminCall(issuer.app, admin, method, url, payload);
}

/** A new token, once its token.created event is delivered (so a test's receiver behaviour does not touch it). */
async function newToken(owner: string): Promise<string> {
  const start = emitted.length;
  const response = await call("POST", "/admin/tokens", { owner, roles: ["read"] });
  expect(response.statusCode).toBe(201);
  const created = emitted.slice(start).find((e) => e.type === "token.created") as TokenEvent;
  await until(() => receiver.accepted().has(created.id), { message: "token.created delivered" });
  return response.json().record.tokenId as string;
}

describe("webhooks through BullMQ", () => {
  it("delivers each event of the admin API once, signed, with the payload Standard Webhooks recommends", async () => {
    const start = emitted.length;
    const tokenId = await newToken("wendy");
    await call("PATCH", `/admin/tokens/${tokenId}`, { name: "renamed" });
    await call("POST", `/admin/tokens/${tokenId}/rotate`, { graceSeconds: 0 });
    await call("POST", `/admin/tokens/${tokenId}/revoke`);
    await call("POST", `/admin/tokens/${tokenId}/restore`);
    await call("POST", "/admin/owners/wendy/revoke");
    const mine = emitted.slice(start);
    expect(mine.map((e) => e.type)).toEqual([
      "token.created",
      "token.updated",
      "token.rotated",
      "token.revoked",
      "token.restored",
      "token.revoked",
      "owner.revoked",
    ]);
    await until(() => mine.every((e) => receiver.accepted().has(e.id)), { message: "every event accepted" });
    for (const event of mine) {
      const got = receiver.accepted().get(event.id);
      // The receiver's own check passed, and the body is exactly {type, timestamp, data}.
      expect(got?.valid).toBe(true);
      expect(JSON.parse(got?.body ?? "")).toEqual({ type: event.type, timestamp: event.timestamp, data: event.data });
      expect(Object.keys(JSON.parse(got?.body ?? "{}"))).toEqual(["type", "timestamp", "data"]);
      expect(Math.abs((got?.timestamp ?? 0) - Date.now() / 1000)).toBeLessThan(30);
      expect(await delivered(deliveries, event.id)).toMatchObject({ state: "delivered", attempts: 1 });
    }
    // Exactly once each: no attempt for an id that was not emitted, none repeated.
    const ids = receiver.received.filter((r) => mine.some((e) => e.id === r.id)).map((r) => r.id);
    expect(ids.sort()).toEqual(mine.map((e) => e.id).sort());
    expect(metrics.webhooksDelivered.get()).toBeGreaterThanOrEqual(mine.length);
  });

  it("retries a receiver that fails three times with back-off, same id and body, then it is delivered once", async () => {
    const tokenId = await newToken("flaky");
    receiver.reply = (attempt, nth) => (attempt.body.includes('"token.revoked"') && nth <= 3 ? 503 : 204);
    const start = emitted.length;
    await call("POST", `/admin/tokens/${tokenId}/revoke`);
    const event = emitted.slice(start).find((e) => e.type === "token.revoked") as TokenEvent;
    await until(() => receiver.accepted().has(event.id), { message: "the revoked event accepted" });
    const attempts = receiver.received.filter((r) => r.id === event.id);
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    expect(attempts.every((a) => a.valid)).toBe(true);
    // BullMQ's exponential back-off: 100, 200, 400 ms between attempts.
    const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(180);
    expect(gaps[2]).toBeGreaterThanOrEqual(360);
    expect(await delivered(deliveries, event.id)).toMatchObject({ state: "delivered", attempts: 4 });
    expect(metrics.webhooksFailed.get()).toBe(0);
    receiver.reply = () => 204;
  });

  it("lists a delivery whose attempts are spent at GET /admin/webhooks/deliveries, counts it, and retries it on request", async () => {
    const tokenId = await newToken("gone");
    receiver.reply = (attempt) => (attempt.body.includes(`"tokenId":"${tokenId}"`) ? 500 : 204);
    const start = emitted.length;
    await call("PATCH", `/admin/tokens/${tokenId}`, { name: "doomed" });
    const event = emitted.slice(start)[0] as TokenEvent;
    await until(async () => (await deliveries.get(event.id))?.state === "failed", { message: "the delivery failed" });
    expect(receiver.received.filter((r) => r.id === event.id)).toHaveLength(4);
    expect(metrics.webhooksFailed.get()).toBe(1);

    const listed = await call("GET", "/admin/webhooks/deliveries");
    expect(listed.statusCode).toBe(200);
    const item = (listed.json().items as { id: string }[]).find((i) => i.id === event.id);
    expect(item).toMatchObject({
      id: event.id,
      type: "token.updated",
      state: "failed",
      attempts: 4,
      lastStatus: 500,
      lastError: "the receiver answered 500",
      event: { type: "token.updated", data: { tokenId, name: "doomed" } },
    });
    expect(metrics.registry.render()).toMatch(/^patgate_webhooks_failed_total 1$/m);

    receiver.reply = () => 204;
    expect((await call("POST", `/admin/webhooks/deliveries/${event.id}/retry`)).statusCode).toBe(202);
    await until(() => receiver.accepted().has(event.id), { message: "the retried delivery accepted" });
    expect(await delivered(deliveries, event.id)).toMatchObject({ state: "delivered", attempts: 1 });
    const after = await call("GET", "/admin/webhooks/deliveries");
    expect((after.json().items as { id: string }[]).some((i) => i.id === event.id)).toBe(false);
    // Not failed any more: nothing to retry.
    expect((await call("POST", `/admin/webhooks/deliveries/${event.id}/retry`)).statusCode).toBe(404);
    await until(() => /^patgate_webhooks_pending 0$/m.test(metrics.registry.render()), {
      message: "no pending delivery",
    });
  });

  it("refuses bad listing input with 400 naming the field", async () => {
    for (const [query, field] of [
      ["state=delivered", "state"],
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["cursor=bogus", "cursor"],
    ] as const) {
      const response = await call("GET", `/admin/webhooks/deliveries?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json().field, query).toBe(field);
    }
    expect((await call("GET", "/admin/webhooks/deliveries?state=failed&state=pending")).statusCode).toBe(400);
    expect((await call("POST", "/admin/webhooks/deliveries/not-an-id/retry")).statusCode).toBe(404);
  });

  it("records an event while Redis is down and delivers it once Redis is back", async () => {
    const server = await startRedisServer({ persistent: true });
    cleanups.push(() => server.stop());
    // Its own delivery table: the other webhooks' sweeper must not deliver its events through the shared Redis.
    const client = testDynamoClient();
    const table = uniqueName("webhooks-outage");
    await createWebhookTable(client, table);
    const ownDeliveries = createWebhookDeliveries(client, table);
    const own = redisWebhooks(server.url, redisKeys(uniqueName("outage")), { deliveries: ownDeliveries });
    await server.stop();
    const { record } = await issuer.store.issue({ owner: "offline" });
    const event = tokenEvent("token.created", record, { actor: "test" }, Date.now());
    const started = Date.now();
    await own.sink.emit(event);
    expect(Date.now() - started).toBeLessThan(6000);
    // A window, not a condition: the time the worker would have used, had the event been enqueued.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await ownDeliveries.get(event.id)).toMatchObject({ state: "pending", attempts: 0 });
    expect(receiver.accepted().has(event.id)).toBe(false);
    await server.restart();
    await until(() => receiver.accepted().has(event.id), { message: "delivery after Redis returned" });
    expect(await delivered(ownDeliveries, event.id)).toMatchObject({ state: "delivered", attempts: 1 });
  }, 40_000);
});
