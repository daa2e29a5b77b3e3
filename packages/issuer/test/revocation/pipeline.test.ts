import { spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { REVOCATION_QUEUE, type RedisKeys, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_SCRYPT, redisUrl, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { startRedisServer } from "../../../../test/harness/redis-server.js";
import { until } from "../../../../test/harness/until.js";
import { createOutbox, createOutboxTable, type Outbox } from "../../src/revocation/outbox.js";
import { startOutboxSweeper } from "../../src/revocation/outbox-sweeper.js";
import { createRevocationQueue } from "../../src/revocation/queue.js";
import { createRedisPropagator } from "../../src/revocation/redis-propagator.js";
import { createTokenChanges } from "../../src/revocation/token-changes.js";
import { createRevocationWorker } from "../../src/revocation/worker.js";
import { createTokenStore, createTokenTable } from "../../src/tokens/index.js";
import type { TokenStore } from "../../src/tokens/types.js";

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

function pipeline(url: string, keys: RedisKeys, options: { worker?: boolean; confirmTimeoutMs?: number } = {}) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on("error", () => {});
  const queue = createRevocationQueue(redis, keys);
  const worker =
    options.worker === false
      ? undefined
      : createRevocationWorker({ connection: redis, keys, outbox, lockDurationMs: 2000 });
  const changes = createTokenChanges({
    store,
    outbox,
    propagator: createRedisPropagator({ queue, confirmTimeoutMs: options.confirmTimeoutMs ?? 5000 }),
    markLifetimeSeconds: 360,
    applyLocally: () => {},
  });
  cleanups.push(async () => {
    await worker?.close();
    await queue.close();
    redis.disconnect();
  });
  return { redis, queue, worker, changes };
}

describe("the revocation pipeline", () => {
  it("revoke -> DynamoDB -> outbox -> BullMQ -> worker -> deny-list + stream, confirmed", async () => {
    const keys = redisKeys(uniqueName("pipe"));
    const { redis, changes } = pipeline(redisUrl(), keys);
    const { record } = await store.issue({ owner: "ann" });
    const result = await changes.revokeToken(record.tokenId);
    expect(result).toMatchObject({ changed: true, propagation: "confirmed", record: { isRevoked: true } });
    const entry = JSON.parse((await redis.hget(keys.denyEntries, `client:${record.tokenId}`)) ?? "null");
    // The mark denies every JWT derived from the revisions before the revocation.
    expect(entry).toMatchObject({ kind: "client", value: record.tokenId, minRev: record.revision + 1 });
    expect(result.record.revision).toBe(record.revision + 1);
    expect(entry.expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThan(350);
    expect(await redis.xlen(keys.events)).toBe(1);
    const [item] = await outbox.recent(1);
    expect(item).toMatchObject({ state: "propagated" });
  });

  it("adds a job once per outbox id, however often it is enqueued", async () => {
    const keys = redisKeys(uniqueName("idem"));
    const { queue, redis } = pipeline(redisUrl(), keys, { worker: false });
    const job = {
      outboxId: "rv-test-1",
      event: { type: "token_changed", tokenId: "x" } as const,
      acceptedAt: Date.now(),
    };
    await queue.enqueue(job);
    await queue.enqueue(job);
    await queue.enqueue(job);
    const waiting = await redis.llen(`${keys.queuePrefix}:${REVOCATION_QUEUE}:wait`);
    expect(waiting).toBe(1);
  });

  it("loses nothing accepted while Redis is down: pending in the outbox, delivered when Redis returns", async () => {
    const server = await startRedisServer({ persistent: true });
    cleanups.push(() => server.stop());
    const keys = redisKeys(uniqueName("outage"));
    const { changes, queue, redis } = pipeline(server.url, keys, { confirmTimeoutMs: 300 });
    const issued = await Promise.all(Array.from({ length: 5 }, (_, i) => store.issue({ owner: `outage${i}` })));
    await server.stop();
    await until(async () => redis.status !== "ready", { message: "disconnect" });
    const results = [];
    for (const { record } of issued) results.push(await changes.revokeToken(record.tokenId));
    // The source of truth already says revoked; propagation is honestly "pending".
    expect(results.map((r) => r.propagation)).toEqual(Array(5).fill("pending"));
    for (const { record } of issued) expect((await store.get(record.tokenId))?.isRevoked).toBe(true);

    await server.restart();
    await until(async () => redis.status === "ready", { message: "reconnect" });
    const sweeper = startOutboxSweeper({ outbox, queue, intervalMs: 0, graceMs: 0 });
    await sweeper.sweep();
    const lost = await until(
      async () => {
        const missing = [];
        for (const { record } of issued)
          if (!(await redis.hexists(keys.denyEntries, `client:${record.tokenId}`))) missing.push(record.tokenId);
        return missing.length === 0 ? ([] as string[]) : null;
      },
      { message: "every revocation on the deny-list" },
    );
    expect(lost).toEqual([]);
  });

  it("writes the revocations still in force again when Redis comes back without its data", async () => {
    const server = await startRedisServer(); // no persistence: a restart forgets everything
    cleanups.push(() => server.stop());
    const keys = redisKeys(uniqueName("amnesia"));
    const { changes, queue, redis } = pipeline(server.url, keys);
    const issued = await Promise.all(Array.from({ length: 3 }, (_, i) => store.issue({ owner: `amnesia${i}` })));
    for (const { record } of issued) expect((await changes.revokeToken(record.tokenId)).propagation).toBe("confirmed");
    const sweeper = startOutboxSweeper({ outbox, queue, redis, keys, intervalMs: 0, graceMs: 0 });
    await sweeper.sweep();
    expect(await redis.exists(keys.denyComplete)).toBe(1);
    const onDenyList = async () => {
      const present = [];
      for (const { record } of issued) present.push(await redis.hexists(keys.denyEntries, `client:${record.tokenId}`));
      return present;
    };
    expect(await onDenyList()).toEqual([1, 1, 1]);

    await server.stop();
    await server.restart();
    await until(async () => redis.status === "ready" && (await redis.ping()) === "PONG", { message: "reconnect" });
    expect(await onDenyList()).toEqual([0, 0, 0]);
    await sweeper.sweep();
    await until(async () => (await onDenyList()).every((present) => present === 1), {
      message: "the deny-list restored",
    });
    expect(await redis.exists(keys.denyComplete)).toBe(1);
  });

  it("a worker killed mid-job (SIGKILL) does not lose the job", async () => {
    const keys = redisKeys(uniqueName("kill"));
    const { changes, redis } = pipeline(redisUrl(), keys, { worker: false, confirmTimeoutMs: 300 });
    const child = spawn(
      process.execPath,
      [resolve(import.meta.dirname, "kill-worker-fixture.mjs"), redisUrl(), REVOCATION_QUEUE, keys.queuePrefix],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await until(async () => output.includes("ready"), { message: "doomed worker ready" });

    const { record } = await store.issue({ owner: "kill" });
    const result = await changes.revokeToken(record.tokenId);
    expect(result.propagation).toBe("pending");
    await until(async () => output.includes("took-job"), { message: "doomed worker took the job" });
    child.kill("SIGKILL");
    await once(child, "exit");

    // A healthy worker starts; BullMQ's stalled-job check hands it the job.
    const worker = createRevocationWorker({ connection: redis, keys, outbox, lockDurationMs: 2000 });
    cleanups.push(() => worker.close());
    await until(async () => redis.hexists(keys.denyEntries, `client:${record.tokenId}`), { message: "job recovered" });
  }, 40_000);

  it("revokes an owner, removes roles, denies a jti, restores — each with its own entry", async () => {
    const keys = redisKeys(uniqueName("kinds"));
    const { changes, redis } = pipeline(redisUrl(), keys);
    await store.issue({ owner: "zed" });
    await store.issue({ owner: "zed" });
    const { record } = await store.issue({ owner: "yan", roles: ["a", "b"] });
    expect(await changes.revokeOwner("zed")).toEqual({ revoked: 2, propagation: "confirmed" });
    expect((await changes.updateToken(record.tokenId, { roles: { remove: ["b"] } })).propagation).toBe("confirmed");
    expect((await changes.denyJti("the-jti", Math.floor(Date.now() / 1000) + 300)).propagation).toBe("confirmed");
    expect(new Set(await redis.hkeys(keys.denyEntries))).toEqual(
      new Set(["sub:zed", `client:${record.tokenId}`, "jti:the-jti"]),
    );
    await changes.restoreToken(record.tokenId);
    // Restore lifts nothing for old JWTs: the mark stays; a token_changed event evicts caches.
    expect(await redis.hexists(keys.denyEntries, `client:${record.tokenId}`)).toBe(1);
    const events = await redis.xrange(keys.events, "-", "+");
    expect(JSON.parse(events.at(-1)?.[1][1] ?? "null")).toEqual({ type: "token_changed", tokenId: record.tokenId });
  });

  it("a missing token fails before anything is recorded", async () => {
    const keys = redisKeys(uniqueName("missing"));
    const { changes } = pipeline(redisUrl(), keys);
    const before = (await outbox.recent(1000)).length;
    await expect(changes.revokeToken("AAAAAAAAAAAAAAAAAAAAA")).rejects.toMatchObject({ code: "not_found" });
    expect((await outbox.recent(1000)).length).toBe(before);
  });
});
