import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { RevocationEvent } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import {
  createMemoryOutbox,
  createOutbox,
  createOutboxTable,
  jtiOutboxId,
  PENDING_INDEX,
} from "../../src/revocation/outbox.js";
import { startOutboxSweeper } from "../../src/revocation/outbox-sweeper.js";
import type { RevocationJob, RevocationQueue } from "../../src/revocation/queue.js";

/** A client that notes every command it sends and how many items DynamoDB read for it. */
function countingClient(): { client: DynamoDBClient; reads: { command: string; scanned: number }[] } {
  const client = testDynamoClient();
  const reads: { command: string; scanned: number }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { ScannedCount?: number };
      if (typeof output.ScannedCount === "number")
        reads.push({ command: String(context.commandName), scanned: output.ScannedCount });
      return result;
    },
    { step: "initialize", name: "countReads" },
  );
  return { client, reads };
}

const jtiDenial = (jti: string): RevocationEvent => ({
  type: "deny",
  entry: { kind: "jti", value: jti, expiresAt: Math.floor(Date.now() / 1000) + 360 },
});
const changed = (tokenId: string): RevocationEvent => ({ type: "token_changed", tokenId });

/** A queue that only notes what it is given. */
function notingQueue(): RevocationQueue & { jobs: RevocationJob[] } {
  const jobs: RevocationJob[] = [];
  return {
    jobs,
    async enqueue(job) {
      jobs.push(job);
    },
    async enqueueAndWait(job) {
      jobs.push(job);
      return true;
    },
    async close() {},
  };
}

describe("the revocation outbox", () => {
  it("lists pending items from its sparse index: the sweep never reads a propagated item", async () => {
    const { client, reads } = countingClient();
    const table = uniqueName("outbox");
    await createOutboxTable(client, table);
    const outbox = createOutbox(client, table);
    for (let i = 0; i < 150; i++) {
      const item = await outbox.add(changed(`propagated${i}`));
      await outbox.markPropagated(item.id, Date.now());
    }
    const pending = [];
    for (let i = 0; i < 3; i++) pending.push(await outbox.add(changed(`pending${i}`)));

    reads.length = 0;
    const queue = notingQueue();
    const sweeper = startOutboxSweeper({ outbox, queue, intervalMs: 0, graceMs: 0 });
    expect(await sweeper.sweep()).toBe(3);
    expect(queue.jobs.map((job) => job.outboxId)).toEqual(pending.map((item) => item.id));
    // One query of the index, which holds the 3 pending items and nothing else.
    expect(reads).toEqual([{ command: "QueryCommand", scanned: 3 }]);

    // Delivered: out of the index.
    for (const item of pending) await outbox.markPropagated(item.id, Date.now());
    expect(await outbox.undelivered()).toEqual([]);
    expect(await outbox.recent(1000)).toHaveLength(153);
  });

  it("records a jti once however often it is revoked, and says whether it was delivered", async () => {
    const table = uniqueName("outbox");
    const client = testDynamoClient();
    await createOutboxTable(client, table);
    for (const outbox of [createOutbox(client, table), createMemoryOutbox()]) {
      const first = await outbox.add(jtiDenial("the-jti"));
      expect(first).toMatchObject({ id: jtiOutboxId("the-jti"), state: "pending" });
      expect(await outbox.add(jtiDenial("the-jti"))).toMatchObject({ id: first.id, state: "pending" });
      await outbox.markPropagated(first.id, Date.now());
      expect(await outbox.add(jtiDenial("the-jti"))).toMatchObject({ id: first.id, state: "propagated" });
      await outbox.add(jtiDenial("another-jti"));
      expect(await outbox.recent(100)).toHaveLength(2);
    }
    // Safe as a BullMQ job id whatever the jti holds.
    expect(jtiOutboxId("1:2:3")).toMatch(/^rv-jti-[A-Za-z0-9_-]{43}$/);
  });

  it("still finds pending items in an outbox table made before the index (an emulator that cannot add one)", async () => {
    const client = testDynamoClient();
    const table = uniqueName("outbox-old");
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      }),
    );
    // Created tables answer only once ACTIVE (dynalite too, after a moment).
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: table });
    // An item written by an older issuer: no index key.
    await DynamoDBDocumentClient.from(client).send(
      new PutCommand({
        TableName: table,
        Item: { id: "rv-old-1", event: JSON.stringify(changed("old")), state: "pending", createdAt: 1 },
      }),
    );
    await createOutboxTable(client, table); // dynalite cannot add PENDING_INDEX to an existing table
    const outbox = createOutbox(client, table);
    const added = await outbox.add(changed("new"));
    expect((await outbox.undelivered()).map((item) => item.id)).toEqual(["rv-old-1", added.id]);
    expect(PENDING_INDEX).toBe("pending-index");
  });
});
