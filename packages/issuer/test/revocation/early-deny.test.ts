import { once } from "node:events";
import { type RedisKeys, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_SCRYPT, redisUrl, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { until } from "../../../../test/harness/until.js";
import { createEarlyDeny } from "../../src/revocation/early-deny.js";
import { createOutbox, createOutboxTable, type Outbox } from "../../src/revocation/outbox.js";
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

/**
 * Token changes with the early write; no worker unless asked, so only the early write can reach Redis.
 * Resolves once the connection is ready: without an offline queue, a write sent before that fails at
 * once, and the early write is fire-and-forget (an issuer's connection is long established).
 */
async function changesWith(keys: RedisKeys, options: { worker?: boolean } = {}) {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on("error", () => {});
  if (redis.status !== "ready") await once(redis, "ready");
  const queue = createRevocationQueue(redis, keys);
  const worker = options.worker ? createRevocationWorker({ connection: redis, keys, outbox }) : undefined;
  const changes = createTokenChanges({
    store,
    outbox,
    propagator: createRedisPropagator({ queue, confirmTimeoutMs: options.worker ? 5000 : 50 }),
    markLifetimeSeconds: 360,
    applyLocally: () => {},
    earlyDeny: createEarlyDeny(redis, keys),
  });
  cleanups.push(async () => {
    await worker?.close();
    await queue.close();
    redis.disconnect();
  });
  return { redis, changes };
}

describe("the early deny write", () => {
  it("puts a revocation's deny entry on the list and the stream before its job runs", async () => {
    const keys = redisKeys(uniqueName("early"));
    const { redis, changes } = await changesWith(keys);
    const { record } = await store.issue({ owner: "early-ann" });
    // No worker: the job stays queued, the outbox item pending; the early write is all that ran.
    const result = await changes.revokeToken(record.tokenId);
    expect(result).toMatchObject({ changed: true, propagation: "pending" });
    const field = `client:${record.tokenId}`;
    await until(async () => (await redis.hexists(keys.denyEntries, field)) === 1, { message: "the early entry" });
    expect(JSON.parse((await redis.hget(keys.denyEntries, field)) ?? "null")).toMatchObject({
      kind: "client",
      minRev: record.revision + 1,
    });
    const [[, fields] = ["", []]] = await redis.xrange(keys.events, "-", "+");
    expect(JSON.parse(fields[1] ?? "null")).toMatchObject({ type: "deny", entry: { value: record.tokenId } });
    expect(
      (await outbox.recent(1000)).find(
        (item) => item.event.type === "deny" && item.event.entry.value === record.tokenId,
      ),
    ).toMatchObject({ state: "pending" });
  });

  it("writes nothing early for a change that denies nothing (restore), nor for a missing token", async () => {
    const keys = redisKeys(uniqueName("early-none"));
    const { redis, changes } = await changesWith(keys);
    const { record } = await store.issue({ owner: "early-bob" });
    await store.revoke(record.tokenId);
    await changes.restoreToken(record.tokenId);
    await expect(changes.revokeToken("AAAAAAAAAAAAAAAAAAAAA")).rejects.toMatchObject({ code: "not_found" });
    // A later deny on the same connection lands: everything sent before it has been applied.
    await changes.denyJti("early-marker", Math.floor(Date.now() / 1000) + 300);
    await until(async () => (await redis.hexists(keys.denyEntries, "jti:early-marker")) === 1, {
      message: "the marker",
    });
    expect(await redis.hkeys(keys.denyEntries)).toEqual(["jti:early-marker"]);
    expect(await redis.xlen(keys.events)).toBe(1);
  });

  it("and the worker's write after DynamoDB merges into the same entry, confirmed", async () => {
    const keys = redisKeys(uniqueName("early-worker"));
    const { redis, changes } = await changesWith(keys, { worker: true });
    const { record } = await store.issue({ owner: "early-cy" });
    expect(await changes.revokeToken(record.tokenId)).toMatchObject({ propagation: "confirmed" });
    expect(await redis.hkeys(keys.denyEntries)).toEqual([`client:${record.tokenId}`]);
    // Two events (the head start, then the worker's after the change): followers apply both, the same mark.
    const events = await redis.xrange(keys.events, "-", "+");
    expect(events.map(([, fields]) => JSON.parse(fields[1] ?? "null").entry.minRev)).toEqual([
      record.revision + 1,
      record.revision + 1,
    ]);
  });
});
