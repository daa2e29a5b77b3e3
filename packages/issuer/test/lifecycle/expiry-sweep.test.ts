import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { FAST_SCRYPT, redisUrl, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { until } from "../../../../test/harness/until.js";
import type { EventSink, TokenEvent } from "../../src/events/token-events.js";
import { createExpirySweep } from "../../src/lifecycle/expiry-sweep.js";
import { lifecycleTasks, startLifecycle } from "../../src/lifecycle/lifecycle.js";
import { startRedisLifecycleScheduler } from "../../src/lifecycle/lifecycle-scheduler.js";
import { commandConnectionOptions } from "../../src/redis/connection-options.js";
import { migrateExpiryWarnings } from "../../src/tokens/create-token-table.js";
import { EXPIRY_WARNING_INDEX } from "../../src/tokens/expiry-warnings.js";
import { createTokenStore, createTokenTable } from "../../src/tokens/index.js";

// Expiry warnings: the scheduler's clock is passed in, never faked around Redis.

const DAY = 86_400;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A DynamoDB client that logs each command (name and index) it sends. */
function loggedClient(): { client: DynamoDBClient; log: { command: string; index?: string }[] } {
  const client = testDynamoClient();
  const log: { command: string; index?: string }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string };
      log.push({ command: context.commandName ?? "?", ...(input.IndexName ? { index: input.IndexName } : {}) });
      return next(args);
    },
    { step: "initialize", name: "commandLog" },
  );
  return { client, log };
}

function recorder(): EventSink & { readonly events: TokenEvent[] } {
  const events: TokenEvent[] = [];
  return {
    events,
    async emit(event) {
      events.push(event);
    },
  };
}

/** What a test compares: per token, the warnings in order. */
function warnings(events: readonly TokenEvent[], tokenId: string): string[] {
  return events
    .filter((e) => "tokenId" in e.data && e.data.tokenId === tokenId)
    .map((e) => (e.type === "token.expiring" ? `${e.data.threshold}:${e.data.daysLeft}` : e.type));
}

describe("expiry warnings", () => {
  it("sends 30, 7 and 1 days before and at expiry, once each, from the index, with two sweeps racing at every step", async () => {
    const { client, log } = loggedClient();
    const tableName = uniqueName("expiry");
    await createTokenTable(client, tableName);
    const t0 = Date.now();
    let clock = t0;
    const store = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT, now: () => clock });
    const s0 = Math.floor(t0 / 1000);
    const issue = async (owner: string, expiresIn?: number) =>
      (await store.issue({ owner, ...(expiresIn ? { expiresAt: s0 + expiresIn } : {}) })).record.tokenId;
    const a = await issue("forty", 40 * DAY);
    const b = await issue("ten", 10 * DAY);
    const c = await issue("half-day", DAY / 2);
    const d = await issue("revoked", 40 * DAY);
    await store.revoke(d);
    const e = await issue("forever");
    const f = await issue("extended", 40 * DAY);
    const g = await issue("revoked-then-restored", 20 * DAY);

    const sink = recorder();
    // Two workers: two sweeps over the same table, run at the same moment at every step.
    const sweeps = [0, 1].map(() =>
      createExpirySweep({ client, tableName, events: sink, lookbackDays: 2, now: () => clock }),
    );
    log.length = 0;
    for (let step = 0; step <= 132; step++) {
      clock = t0 + step * (DAY / 2) * 1000;
      if (step === 2) await store.revoke(g); // day 1
      if (step === 10) await store.update(f, { expiresAt: s0 + 65 * DAY }); // day 5
      if (step === 30) await store.restore(g); // day 15
      await Promise.all(sweeps.map((sweep) => sweep.run()));
    }

    expect(warnings(sink.events, a)).toEqual(["30d:30", "7d:7", "1d:1", "token.expired"]);
    // Created with 10 days left: the 30-day threshold was never crossed.
    expect(warnings(sink.events, b)).toEqual(["7d:7", "1d:1", "token.expired"]);
    expect(warnings(sink.events, c)).toEqual(["token.expired"]);
    expect(warnings(sink.events, d)).toEqual([]);
    expect(warnings(sink.events, e)).toEqual([]);
    // The new expiry starts the warnings over; the old one's never come.
    expect(warnings(sink.events, f)).toEqual(["30d:30", "7d:7", "1d:1", "token.expired"]);
    // Revoked when its 7-day warning fell due, restored before the 1-day one.
    expect(warnings(sink.events, g)).toEqual(["1d:1", "token.expired"]);

    const expiring = sink.events.find((ev) => ev.type === "token.expiring" && ev.data.tokenId === a);
    expect(expiring).toMatchObject({ data: { owner: "forty", actor: "patgate" } });
    expect(Date.parse(expiring?.timestamp ?? "")).toBe(t0 + 10 * DAY * 1000);
    expect(new Set(sink.events.map((ev) => ev.id)).size).toBe(sink.events.length);
    // Found through the index, never by scanning the table.
    expect(log.some((entry) => entry.command === "ScanCommand")).toBe(false);
    expect(log.filter((entry) => entry.command === "QueryCommand").every((q) => q.index === EXPIRY_WARNING_INDEX)).toBe(
      true,
    );
  }, 60_000);

  it("with two BullMQ workers on a job scheduler, each due warning is emitted exactly once", async () => {
    const client = testDynamoClient();
    const tableName = uniqueName("expiry-bullmq");
    await createTokenTable(client, tableName);
    const store = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT });
    const s0 = Math.floor(Date.now() / 1000);
    const ids = {
      thirty: (await store.issue({ owner: "w30", expiresAt: s0 + 31 * DAY })).record.tokenId,
      seven: (await store.issue({ owner: "w7", expiresAt: s0 + 8 * DAY })).record.tokenId,
      one: (await store.issue({ owner: "w1", expiresAt: s0 + 2 * DAY })).record.tokenId,
      expired: (await store.issue({ owner: "w0", expiresAt: s0 + DAY + 1800 })).record.tokenId,
    };
    // The workers' clock: a day and an hour from now, when each token has one warning due.
    const later = () => (s0 + DAY + 3600) * 1000;
    const sink = recorder();
    const keys = redisKeys(uniqueName("lifecycle"));
    const runs = [0, 0];
    // Each run waits (up to a second) for a run on the other worker, then both sweep at the same moment.
    let waiting: (() => void) | undefined;
    let raced = 0;
    const together = () =>
      new Promise<void>((resolve) => {
        if (waiting) {
          waiting();
          waiting = undefined;
          raced += 1;
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          waiting = undefined;
          resolve();
        }, 1000);
        waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    for (const worker of [0, 1]) {
      const connection = new Redis(redisUrl(), commandConnectionOptions());
      connection.on("error", () => {});
      const tasks = lifecycleTasks({ client, tableName, events: sink, expiryEveryMs: 50, now: later }).map((task) => ({
        ...task,
        run: async () => {
          runs[worker] = (runs[worker] ?? 0) + 1;
          await together();
          return task.run();
        },
      }));
      const scheduler = startRedisLifecycleScheduler({ connection, keys, tasks });
      cleanups.push(async () => {
        await scheduler.close();
        connection.disconnect();
      });
    }
    await until(() => sink.events.length >= 4 && raced >= 3, {
      message: () =>
        `four events and three simultaneous sweeps (${sink.events.length} events, ${raced} raced, runs ${runs})`,
    });
    // Both workers ran sweeps, several of them at the same moment as the other's.
    expect(runs[0]).toBeGreaterThan(0);
    expect(runs[1]).toBeGreaterThan(0);
    expect(raced).toBeGreaterThanOrEqual(3);
    expect(warnings(sink.events, ids.thirty)).toEqual(["30d:30"]);
    expect(warnings(sink.events, ids.seven)).toEqual(["7d:7"]);
    expect(warnings(sink.events, ids.one)).toEqual(["1d:1"]);
    expect(warnings(sink.events, ids.expired)).toEqual(["token.expired"]);
    expect(sink.events).toHaveLength(4);
  }, 40_000);

  it("runs on a timer in the embedded default", async () => {
    const client = testDynamoClient();
    const tableName = uniqueName("expiry-timer");
    await createTokenTable(client, tableName);
    const store = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT });
    const s0 = Math.floor(Date.now() / 1000);
    const { record } = await store.issue({ owner: "timer", expiresAt: s0 + 3600 });
    const sink = recorder();
    const scheduler = startLifecycle({
      client,
      tableName,
      events: sink,
      firstRunMs: 0,
      expiryEveryMs: 50,
      now: () => (s0 + 7200) * 1000,
    });
    cleanups.push(() => scheduler.close());
    await until(() => sink.events.length > 0, { message: "an event" });
    // A window, not a condition: no second event may come from the runs in it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(warnings(sink.events, record.tokenId)).toEqual(["token.expired"]);
  });

  it("on a table the store could not add the index to, finds due warnings by a scan", async () => {
    const client = testDynamoClient();
    const tableName = uniqueName("expiry-old");
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "tokenId", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "tokenId", KeyType: "HASH" }],
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
    const s0 = Math.floor(Date.now() / 1000);
    await DynamoDBDocumentClient.from(client).send(
      new PutCommand({
        TableName: tableName,
        Item: { tokenId: "OLDexpiry000000000000", owner: "old", createdAt: s0 - DAY, expiresAt: s0 + 5 * DAY },
      }),
    );
    await migrateExpiryWarnings(client, tableName, s0);
    const sink = recorder();
    const sweep = createExpirySweep({ client, tableName, events: sink, now: () => (s0 + 4 * DAY + 60) * 1000 });
    expect(await sweep.run()).toEqual({ due: 1, sent: 1 });
    expect(await sweep.run()).toEqual({ due: 0, sent: 0 });
    expect(warnings(sink.events, "OLDexpiry000000000000")).toEqual(["1d:1"]);
  });
});
