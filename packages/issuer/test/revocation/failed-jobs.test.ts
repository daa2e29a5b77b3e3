import { REVOCATION_QUEUE, redisKeys } from "@patgate/shared";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_SCRYPT, redisUrl, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { until } from "../../../../test/harness/until.js";
import { noEvents } from "../../src/events/token-events.js";
import { createIssuerMetrics } from "../../src/metrics/issuer-metrics.js";
import { createDenyView } from "../../src/revocation/deny-view.js";
import { createFeed } from "../../src/revocation/feed.js";
import { createOutbox, createOutboxTable, type Outbox } from "../../src/revocation/outbox.js";
import { startOutboxSweeper } from "../../src/revocation/outbox-sweeper.js";
import { createRevocationQueue } from "../../src/revocation/queue.js";
import { createRedisPropagator } from "../../src/revocation/redis-propagator.js";
import { createTokenChanges } from "../../src/revocation/token-changes.js";
import { createRevocationWorker } from "../../src/revocation/worker.js";
import { createTokenStore, createTokenTable } from "../../src/tokens/index.js";
import type { TokenStore } from "../../src/tokens/types.js";
import { testIssuer } from "../app-fixture.js";

// A revocation job that fails for good (attempts spent, or an event the
// deny-list cannot carry) shows as failed, with its reason, in
// GET /admin/revocations and in the metrics; never as a silent "pending".

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

let store: TokenStore;
let outbox: Outbox;

beforeAll(async () => {
  const client = testDynamoClient();
  const tokens = uniqueName("tokens");
  const outboxTable = uniqueName("outbox");
  await createTokenTable(client, tokens);
  await createOutboxTable(client, outboxTable);
  store = createTokenStore(client, { tableName: tokens, scrypt: FAST_SCRYPT });
  outbox = createOutbox(client, outboxTable);
});

/** A pipeline over real Redis whose jobs get two quick attempts; `workerOutbox` lets a test inject faults. */
function pipeline(workerOutbox: Outbox = outbox) {
  const keys = redisKeys(uniqueName("failed"));
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on("error", () => {});
  const queue = createRevocationQueue(redis, keys, { attempts: 2, backoffMs: 10 });
  const worker = createRevocationWorker({ connection: redis, keys, outbox: workerOutbox, lockDurationMs: 2000 });
  const changes = createTokenChanges({
    store,
    outbox,
    propagator: createRedisPropagator({ queue, confirmTimeoutMs: 2000 }),
    markLifetimeSeconds: 360,
    applyLocally: () => {},
  });
  const metrics = createIssuerMetrics();
  const sweeper = startOutboxSweeper({
    outbox,
    queue,
    intervalMs: 0,
    graceMs: 0,
    onPending: (count) => metrics.pendingRevocations.set(count),
    onFailed: (count) => metrics.failedRevocations.set(count),
  });
  cleanups.push(async () => {
    await worker.close();
    await queue.close();
    redis.disconnect();
  });
  return { redis, keys, queue, changes, metrics, sweeper };
}

async function item(id: string) {
  return (await outbox.recent(1000)).find((i) => i.id === id);
}

async function lastId(): Promise<string> {
  const [latest] = await outbox.recent(1);
  if (!latest) throw new Error("nothing in the outbox");
  return latest.id;
}

describe("revocation jobs that fail for good", () => {
  it("an event the deny-list cannot carry fails at once: failed with its reason in the API and the metrics", async () => {
    const { changes, metrics, sweeper } = pipeline();
    // Past the edge (which refuses it): straight to the token changes, as a bug or an older issuer would.
    const result = await changes.denyJti("bad-\ud800-jti", Math.floor(Date.now() / 1000) + 300);
    expect(result.propagation).toBe("pending");
    const id = await lastId();
    await until(async () => (await item(id))?.state === "failed", { message: "the item marked failed" });
    expect(await item(id)).toMatchObject({ state: "failed", reason: expect.stringMatching(/deny-list/) });

    expect(await sweeper.sweep()).toBe(0);
    const revocation = {
      changes,
      outbox,
      feed: createFeed(),
      denyView: createDenyView(),
      events: noEvents,
      close: async () => {},
    };
    const issuer = await testIssuer({}, { revocation, metrics });
    const admin = await issuer.adminJwt();
    const listed = await issuer.app.inject({
      url: "/admin/revocations",
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(listed.statusCode).toBe(200);
    const body = listed.json();
    expect(body.failed).toBeGreaterThanOrEqual(1);
    expect(body.items.find((i: { id: string }) => i.id === id)).toMatchObject({
      state: "failed",
      failedAt: expect.any(Number),
      reason: expect.stringMatching(/deny-list/),
    });
    const scraped = (await issuer.app.inject({ url: "/metrics" })).body;
    expect(scraped).toMatch(/^patgate_revocations_failed [1-9]\d*$/m);
    expect(scraped).toMatch(/^patgate_revocations_pending 0$/m);
    await issuer.app.close();
  });

  it("a job whose every attempt fails ends failed with the error, not pending", async () => {
    const faulty: Outbox = {
      ...outbox,
      markPropagated: async () => {
        throw new Error("the outbox refused the write");
      },
    };
    const { changes, sweeper, metrics } = pipeline(faulty);
    const { record } = await store.issue({ owner: "attempts" });
    expect((await changes.revokeToken(record.tokenId)).propagation).toBe("pending");
    const id = await lastId();
    await until(async () => (await item(id))?.state === "failed", { message: "the item marked failed" });
    expect(await item(id)).toMatchObject({ state: "failed", reason: "the outbox refused the write" });
    await sweeper.sweep();
    expect(metrics.registry.render()).toMatch(/^patgate_revocations_failed [1-9]\d*$/m);
  });

  it("a failed job behind an item still pending (the failure went unrecorded) is retried by the sweeper", async () => {
    let down = true;
    const flaky: Outbox = {
      ...outbox,
      markPropagated: async (id, at) => {
        if (down) throw new Error("DynamoDB is away");
        await outbox.markPropagated(id, at);
      },
      markFailed: async (id, at, reason) => {
        if (down) throw new Error("DynamoDB is away");
        await outbox.markFailed(id, at, reason);
      },
    };
    const { changes, sweeper, redis, keys } = pipeline(flaky);
    const jobs = new Queue(REVOCATION_QUEUE, { connection: redis.duplicate(), prefix: keys.queuePrefix });
    cleanups.push(() => jobs.close());
    const { record } = await store.issue({ owner: "unrecorded" });
    await changes.revokeToken(record.tokenId);
    const id = await lastId();
    // Both attempts fail and nothing can be recorded: the item stays pending behind a failed job.
    await until(async () => (await jobs.getJobState(id)) === "failed", { message: "the job failed" });
    expect((await item(id))?.state).toBe("pending");

    down = false;
    await sweeper.sweep();
    await until(async () => (await item(id))?.state === "propagated", { message: "the retried job delivered" });
  });
});
