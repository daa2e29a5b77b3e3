import { type DenyEntry, parseRevocationEvent, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { createDenyListWriter } from "../../src/revocation/deny-list-writer.js";

let redis: Redis;
const NOW = 1_900_000_000;

beforeAll(() => {
  redis = new Redis(redisUrl());
});
afterAll(() => redis.disconnect());

function setup() {
  const keys = redisKeys(uniqueName("writer"));
  return { keys, writer: createDenyListWriter(redis, keys) };
}

async function streamEvents(key: string) {
  const entries = await redis.xrange(key, "-", "+");
  return entries.map(([, fields]) => parseRevocationEvent(JSON.parse(fields[1] ?? "null")));
}

describe("the deny-list writer", () => {
  it("writes the entry, indexes its expiry and appends the event, in one step", async () => {
    const { keys, writer } = setup();
    const entry: DenyEntry = { kind: "client", value: "tok", minRev: 1, expiresAt: NOW + 360 };
    const id = await writer.write({ type: "deny", entry }, NOW);
    expect(id).toMatch(/^\d+-\d+$/);
    expect(JSON.parse((await redis.hget(keys.denyEntries, "client:tok")) ?? "null")).toEqual(entry);
    expect(Number(await redis.zscore(keys.denyExpiry, "client:tok"))).toBe(NOW + 360);
    expect(await streamEvents(keys.events)).toEqual([{ type: "deny", entry }]);
  });

  it("never shrinks a mark: minRev and expiresAt only grow", async () => {
    const { keys, writer } = setup();
    await writer.write({ type: "deny", entry: { kind: "sub", value: "al", minRev: 10, expiresAt: NOW + 400 } }, NOW);
    await writer.write({ type: "deny", entry: { kind: "sub", value: "al", minRev: 5, expiresAt: NOW + 300 } }, NOW);
    expect(JSON.parse((await redis.hget(keys.denyEntries, "sub:al")) ?? "null")).toEqual({
      kind: "sub",
      value: "al",
      minRev: 10,
      expiresAt: NOW + 400,
    });
    await writer.write({ type: "deny", entry: { kind: "sub", value: "al", minRev: 20, expiresAt: NOW + 500 } }, NOW);
    expect(JSON.parse((await redis.hget(keys.denyEntries, "sub:al")) ?? "null")).toMatchObject({
      minRev: 20,
      expiresAt: NOW + 500,
    });
    // The streamed event carries the merged entry, so followers converge on the same mark.
    const events = await streamEvents(keys.events);
    expect(events[1]).toEqual({
      type: "deny",
      entry: { kind: "sub", value: "al", minRev: 10, expiresAt: NOW + 400 },
    });
  });

  it("prunes expired entries as it writes", async () => {
    const { keys, writer } = setup();
    await writer.write({ type: "deny", entry: { kind: "jti", value: "old", expiresAt: NOW + 10 } }, NOW);
    await writer.write({ type: "deny", entry: { kind: "jti", value: "new", expiresAt: NOW + 1000 } }, NOW + 20);
    expect(await redis.hkeys(keys.denyEntries)).toEqual(["jti:new"]);
    expect(await redis.zrange(keys.denyExpiry, 0, -1)).toEqual(["jti:new"]);
  });

  it("streams token changes without touching the deny-list", async () => {
    const { keys, writer } = setup();
    await writer.write({ type: "token_changed", tokenId: "abc" }, NOW);
    expect(await redis.hlen(keys.denyEntries)).toBe(0);
    expect(await streamEvents(keys.events)).toEqual([{ type: "token_changed", tokenId: "abc" }]);
  });
});
