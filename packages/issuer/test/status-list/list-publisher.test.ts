import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";
import { describe, expect, it } from "vitest";
import { type BitStore, createBitStore } from "../../src/status-list/bit-store.js";
import { createListPublisher } from "../../src/status-list/list-publisher.js";
import { CHUNK_SIZE, LIST_SIZE, statusTableName } from "../../src/status-list/status-table.js";
import { statusTables, testKeys } from "./status-fixture.js";

/** The real bit store on dynalite, counting its reads. */
async function countedBits() {
  const { client, tableName } = await statusTables();
  const bits = createBitStore(DynamoDBDocumentClient.from(client), statusTableName(tableName));
  const reads = { versions: 0, chunks: [] as number[][], allocated: 0 };
  const counted: BitStore = {
    ...bits,
    versions: (list) => {
      reads.versions += 1;
      return bits.versions(list);
    },
    chunks: (list, wanted) => {
      reads.chunks.push([...wanted]);
      return bits.chunks(list, wanted);
    },
    allocated: () => {
      reads.allocated += 1;
      return bits.allocated();
    },
  };
  return { bits: counted, reads };
}

describe("the list publisher", () => {
  it("serves from memory between checks, and after a revocation reads only the chunk that moved", async () => {
    const { bits, reads } = await countedBits();
    let nowMs = 1_900_000_000_000;
    const publisher = createListPublisher({
      bits,
      keys: await testKeys(),
      issuer: "https://issuer.test",
      ttlSeconds: 30,
      checkEveryMs: 500,
      now: () => nowMs,
    });
    const first = await bits.allocate();
    for (let i = 0; i < 3; i++) await bits.allocate();
    await bits.invalidate(first + 2);
    const built = await publisher.list(0);
    expect(reads.chunks).toEqual([[0]]);
    // A burst of requests within the check interval: no store read at all.
    const burst = await Promise.all([...Array(100)].map(() => publisher.list(0)));
    expect(new Set(burst.map((list) => list?.etag))).toEqual(new Set([built?.etag]));
    expect(reads.versions).toBe(1);
    // Past the interval, nothing changed: one head read, the same signed list.
    nowMs += 600;
    expect((await publisher.list(0))?.etag).toBe(built?.etag);
    expect(reads.versions).toBe(2);
    expect(reads.chunks).toHaveLength(1);
    // A revocation far away in the list: only its chunk is read again.
    const far = 5 * CHUNK_SIZE + 7;
    await bits.invalidate(far);
    nowMs += 600;
    const after = await publisher.list(0);
    expect(reads.chunks.at(-1)).toEqual([5]);
    expect(after?.etag).not.toBe(built?.etag);
    const decoded = getListFromStatusListJWT(after?.jwt ?? "");
    expect([decoded.getStatus(first + 2), decoded.getStatus(far), decoded.getStatus(first)]).toEqual([1, 1, 0]);
    expect(decoded.statusList.length * 8).toBeGreaterThanOrEqual(LIST_SIZE);
  });

  it("answers null for lists never handed out, asking the counter at most once per interval", async () => {
    const { bits, reads } = await countedBits();
    const publisher = createListPublisher({
      bits,
      keys: await testKeys(),
      issuer: "https://issuer.test",
      ttlSeconds: 30,
      checkEveryMs: 60_000,
    });
    await bits.allocate();
    expect(await publisher.list(0)).not.toBeNull();
    const misses = await Promise.all([...Array(50)].map((_, i) => publisher.list(i + 1)));
    expect(misses.every((list) => list === null)).toBe(true);
    expect(await publisher.list(-1)).toBeNull();
    expect(await publisher.list(Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(reads.allocated).toBe(1);
  });
});
