import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../packages/issuer/src/config.js";
import { createTables, dynamoClient } from "../../packages/issuer/src/dependencies.js";
import { type TokenEvent, tokenEvent } from "../../packages/issuer/src/events/token-events.js";
import { commandConnectionOptions } from "../../packages/issuer/src/redis/connection-options.js";
import { createWebhookDeliveries, webhookTableName } from "../../packages/issuer/src/webhooks/webhook-deliveries.js";
import { createWebhooks } from "../../packages/issuer/src/webhooks/webhooks.js";
import { killWatchedChildren, spawnPatgate, untilPrinted } from "../harness/child-process.js";
import { dynamoEndpoint, redisUrl, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { adminJwtOver, initialAdminPat } from "../harness/issuer-admin.js";
import { until } from "../harness/until.js";
import { newWebhookSecret, startWebhookReceiver } from "../harness/webhook-receiver.js";

// Webhook delivery across process deaths: `patgate worker` SIGKILLed in the
// middle of a delivery, and the embedded issuer SIGKILLed with deliveries
// still to retry. The receiver checks every signature with its own HMAC and
// deduplicates by webhook-id, as Standard Webhooks asks receivers to.
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  await killWatchedChildren();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Spawns the CLI and waits until its output shows `ready`. */
async function start(args: string[], env: Record<string, string>, ready: string | RegExp) {
  const watched = spawnPatgate(args, env);
  await untilPrinted(watched, ready, `patgate ${args[0]}`);
  return watched;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

describe("patgate worker SIGKILLed mid-delivery", () => {
  it("another worker delivers the event again under the same webhook-id; every event is seen exactly once", async () => {
    const table = uniqueName("wh-kill");
    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    cleanups.push(() => receiver.close());
    const env = {
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      AWS_REGION: "us-east-1",
      REDIS_URL: redisUrl(),
      PATGATE_TABLE: table,
      PATGATE_REDIS_PREFIX: table,
      PATGATE_WEBHOOK_URL: receiver.url,
      PATGATE_WEBHOOK_SECRET: secret,
    };
    const config = loadConfig(env);
    const dynamo = dynamoClient(config);
    await createTables(dynamo, config);
    // The emitting side, as an issuer with PATGATE_WORKER=off: records and enqueues, delivers nothing.
    const redis = new Redis(redisUrl(), commandConnectionOptions());
    redis.on("error", () => {});
    const deliveries = createWebhookDeliveries(dynamo, webhookTableName(table));
    const producer = createWebhooks({
      deliveries,
      webhook: { url: receiver.url, secret },
      redis: { connection: redis, keys: redisKeys(table), worker: false, sweeper: false },
    });
    cleanups.push(async () => {
      await producer.close();
      redis.disconnect();
      dynamo.destroy();
    });
    const emitted: TokenEvent[] = [];
    const emit = async (i: number) => {
      const at = Math.floor(Date.now() / 1000);
      const record = {
        tokenId: `Kill${String(i).padStart(17, "0")}`,
        owner: "kill",
        isAdmin: false,
        roles: ["read"],
        isRevoked: true,
        revokedAt: at,
        createdAt: at,
        updatedAt: at,
        revision: 2,
        ownerRevision: 0,
      };
      const event = tokenEvent("token.revoked", record, { actor: "test", reason: "requested" }, Date.now());
      emitted.push(event);
      await producer.sink.emit(event);
    };

    const first = await start(["worker"], env, "worker running");
    let victim: string | undefined;
    receiver.reply = (attempt, nth) => {
      // The third event's first attempt never gets an answer: the worker is killed while it waits.
      if (attempt.id === emitted[2]?.id && nth === 1) {
        victim = attempt.id;
        return "hang";
      }
      return 204;
    };
    for (let i = 0; i < 5; i++) await emit(i);
    await until(() => victim !== undefined, { message: "the worker in the middle of a delivery", timeoutMs: 30_000 });
    await kill(first.child);
    for (let i = 5; i < 8; i++) await emit(i); // no worker running
    expect(receiver.accepted().has(victim as string)).toBe(false);

    await start(["worker"], env, "worker running");
    await until(() => emitted.every((e) => receiver.accepted().has(e.id)), {
      message: "every event delivered",
      timeoutMs: 30_000,
    });
    const victimAttempts = receiver.received.filter((r) => r.id === victim);
    expect(victimAttempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(victimAttempts.map((a) => a.body)).size).toBe(1);
    // Deduplicated by webhook-id, the receiver saw exactly the events emitted, each with the body emitted.
    const accepted = receiver.accepted();
    expect([...accepted.keys()].sort()).toEqual(emitted.map((e) => e.id).sort());
    for (const event of emitted) {
      expect(JSON.parse(accepted.get(event.id)?.body ?? "")).toEqual({
        type: "token.revoked",
        timestamp: event.timestamp,
        data: event.data,
      });
    }
    expect(receiver.received.every((r) => r.valid)).toBe(true);
    expect(new Set(receiver.received.map((r) => r.id))).toEqual(new Set(emitted.map((e) => e.id)));
    // Each record says delivered a moment after the receiver accepted.
    for (const event of emitted) {
      const record = await until(
        async () => {
          const latest = await deliveries.get(event.id);
          return latest?.state === "delivered" && latest;
        },
        { message: `delivery ${event.id} recorded as delivered`, timeoutMs: 10_000 },
      );
      expect(record).toMatchObject({ state: "delivered" });
    }
  }, 90_000);
});

describe("the embedded issuer SIGKILLed with deliveries to retry", () => {
  it("delivers them after it starts again: the queue is in the store on disk", async () => {
    const secret = newWebhookSecret();
    const receiver = await startWebhookReceiver(secret);
    cleanups.push(() => receiver.close());
    let down = true;
    receiver.reply = () => (down ? 503 : 204);
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-webhooks-"));
    const serve = async () => {
      const port = await freePort();
      const issuer = await start(
        ["serve"],
        {
          PORT: String(port),
          PATGATE_DATA_DIR: dataDir,
          PATGATE_ISSUER: "https://webhooks.test",
          PATGATE_WEBHOOK_URL: receiver.url,
          PATGATE_WEBHOOK_SECRET: secret,
          PATGATE_LOG_LEVEL: "warn",
        },
        "issuer listening on",
      );
      return { ...issuer, url: `http://127.0.0.1:${port}` };
    };

    const first = await serve();
    const jwt = await adminJwtOver(first.url, await initialAdminPat(dataDir));
    const api = async (url: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${jwt}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const ids: string[] = [];
    for (const owner of ["a", "b", "c"]) {
      const created = await api(first.url, "POST", "/admin/tokens", { owner });
      expect(created.status).toBe(201);
      ids.push((created.body.record as { tokenId: string }).tokenId);
    }
    expect((await api(first.url, "POST", `/admin/tokens/${ids[0]}/revoke`)).status).toBe(200);

    // Every event attempted once and refused; they wait for their retry, visible as pending.
    await until(() => new Set(receiver.received.map((r) => r.id)).size === 4, {
      message: "a first attempt of each event",
      timeoutMs: 30_000,
    });
    const pending = await until(
      async () => {
        const listed = await api(first.url, "GET", "/admin/webhooks/deliveries?state=pending");
        const items = listed.body.items as { id: string; attempts: number; lastStatus?: number }[];
        return items.length === 4 && items.every((i) => i.attempts === 1 && i.lastStatus === 503) && items;
      },
      { message: "four pending deliveries, attempted once", timeoutMs: 30_000 },
    );
    const before = new Set(receiver.received.map((r) => r.id));
    expect(new Set(pending.map((i) => i.id))).toEqual(before);
    const types = receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type).sort();
    expect(types).toEqual(["token.created", "token.created", "token.created", "token.revoked"]);

    await kill(first.child);
    down = false;
    const second = await serve();
    await until(() => [...before].every((id) => receiver.accepted().has(id)), {
      message: "every event delivered after the restart",
      timeoutMs: 30_000,
    });
    expect(new Set(receiver.accepted().keys())).toEqual(before);
    for (const id of before) expect(receiver.received.filter((r) => r.id === id).length).toBeGreaterThanOrEqual(2);
    expect(receiver.received.every((r) => r.valid)).toBe(true);
    const afterwards = await api(second.url, "GET", "/admin/webhooks/deliveries?state=pending");
    expect(afterwards.body.items).toEqual([]);
  }, 120_000);
});
