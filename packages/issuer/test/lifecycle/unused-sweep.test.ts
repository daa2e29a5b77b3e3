import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { FAST_SCRYPT, redisUrl, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import type { AuditEvent } from "../../src/audit/audit-event.js";
import type { TokenEvent } from "../../src/events/token-events.js";
import { lifecycleTasks } from "../../src/lifecycle/lifecycle.js";
import { createUnusedSweep } from "../../src/lifecycle/unused-sweep.js";
import { commandConnectionOptions } from "../../src/redis/connection-options.js";
import { createOutbox, createOutboxTable } from "../../src/revocation/outbox.js";
import { createRevocation } from "../../src/revocation/revocation.js";
import { createTokenService } from "../../src/token-service/token-service.js";
import { createTokenStore, createTokenTable } from "../../src/tokens/index.js";

// Unused-token revocation, through the real token service and its token changes: DynamoDB, the outbox,
// BullMQ and the Redis deny-list. The sweep's clock is passed in.

const DAY = 86_400;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function scanLimits(client: DynamoDBClient): (number | undefined)[] {
  const limits: (number | undefined)[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "ScanCommand") limits.push((args.input as { Limit?: number }).Limit);
      return next(args);
    },
    { step: "initialize", name: "scanLog" },
  );
  return limits;
}

describe("PATGATE_REVOKE_UNUSED_AFTER", () => {
  it("revokes PATs unused for longer (last use, or creation if never used) through the changes, once, with an event and an audit line", async () => {
    const client = testDynamoClient();
    const tokens = uniqueName("unused");
    const outboxTable = uniqueName("unused-outbox");
    await createTokenTable(client, tokens);
    await createOutboxTable(client, outboxTable);
    // The sweep's reads, from here on (creating the tables is not the sweep).
    const limits = scanLimits(client);
    const now = Date.now();
    let storeClock = now - 100 * DAY * 1000;
    const store = createTokenStore(client, { tableName: tokens, scrypt: FAST_SCRYPT, now: () => storeClock });
    const nowS = Math.floor(now / 1000);

    // Created 100 days ago.
    const usedLongAgo = (await store.issue({ owner: "dusty", roles: ["read"] })).record;
    const neverUsed = (await store.issue({ owner: "idle" })).record;
    const usedRecently = (await store.issue({ owner: "busy" })).record;
    const revokedAlready = (await store.issue({ owner: "gone" })).record;
    const expiredAlready = (await store.issue({ owner: "over", expiresAt: nowS - DAY })).record;
    const oldAdmin = (await store.issue({ owner: "root", isAdmin: true })).record;
    await store.revoke(revokedAlready.tokenId);
    await store.touch(usedLongAgo.tokenId, { at: nowS - 95 * DAY });
    await store.touch(usedRecently.tokenId, { at: nowS - 10 * DAY });
    // Created 10 days ago, never used.
    storeClock = now - 10 * DAY * 1000;
    const newish = (await store.issue({ owner: "fresh" })).record;

    const keys = redisKeys(uniqueName("unused"));
    const redis = new Redis(redisUrl(), commandConnectionOptions());
    redis.on("error", () => {});
    const events: TokenEvent[] = [];
    const revocation = await createRevocation({
      store,
      outbox: createOutbox(client, outboxTable),
      jwtTtlSeconds: 300,
      stateMaxAgeSeconds: 60,
      events: { emit: async (event) => void events.push(event) },
      redis: { connection: redis, keys, worker: true, follow: false, sweeper: false },
    });
    cleanups.push(async () => {
      await revocation.close();
      redis.disconnect();
    });
    const audit: AuditEvent[] = [];
    const sweep = createUnusedSweep({
      client,
      tableName: tokens,
      tokens: createTokenService({
        store,
        tokenChanges: revocation.changes,
        audit: { record: (event) => audit.push(event) },
      }),
      unusedAfterSeconds: 90 * DAY,
      pageSize: 2,
      pauseMs: 0,
      now: () => now,
    });

    const first = await sweep.run();
    expect(first.revoked).toBe(3);
    const revokedIds = [usedLongAgo.tokenId, neverUsed.tokenId, oldAdmin.tokenId].sort();
    expect(events.map((e) => e.type)).toEqual(Array(3).fill("token.unused_revoked"));
    expect(events.map((e) => ("tokenId" in e.data ? e.data.tokenId : "")).sort()).toEqual(revokedIds);
    const dusty = events.find((e) => "tokenId" in e.data && e.data.tokenId === usedLongAgo.tokenId);
    expect(dusty).toMatchObject({ data: { owner: "dusty", roles: ["read"], actor: "patgate", isRevoked: true } });
    expect(dusty?.type === "token.unused_revoked" && Math.round(dusty.data.unusedSeconds / DAY)).toBe(95);
    for (const id of revokedIds) {
      expect((await store.get(id))?.isRevoked).toBe(true);
      // The usual path: the mark is on the Redis deny-list every verifier follows.
      expect(await redis.hexists(keys.denyEntries, `client:${id}`)).toBe(1);
    }
    for (const kept of [usedRecently, newish, expiredAlready])
      expect((await store.get(kept.tokenId))?.isRevoked).toBe(false);
    expect(audit.map((a) => [a.action, a.tokenId, a.actor]).sort()).toEqual(
      revokedIds.map((id) => ["token.unused_revoke", id, "patgate"]),
    );
    expect(audit.find((a) => a.tokenId === neverUsed.tokenId)?.details).toMatchObject({
      unusedDays: 100,
      policyDays: 90,
    });

    // Once: the next pass finds nothing more to do.
    expect(await sweep.run()).toEqual({ candidates: 0, revoked: 0 });
    expect(events).toHaveLength(3);
    // Bounded: every page of the Scan is capped.
    expect(limits.length).toBeGreaterThan(2);
    expect(limits.every((limit) => limit === 2)).toBe(true);
  }, 30_000);

  it("is scheduled only when the policy is set", () => {
    const client = testDynamoClient();
    const base = { client, tableName: "t", events: { emit: async () => {} } };
    expect(lifecycleTasks(base).map((t) => t.name)).toEqual(["expiry-warnings"]);
    const tokens = { revokeUnused: async () => false };
    expect(lifecycleTasks({ ...base, unused: { afterSeconds: 90 * DAY, tokens } }).map((t) => t.name)).toEqual([
      "expiry-warnings",
      "unused-tokens",
    ]);
  });
});
