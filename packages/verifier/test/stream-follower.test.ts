import { type DenyEntry, type RevocationEvent, redisKeys, STREAM_FIELDS } from "@patgate/shared";
import { startStreamFollower } from "@patgate/verifier/stream-follower";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../test/harness/context.js";
import { startRedisServer } from "../../../test/harness/redis-server.js";
import { until } from "../../../test/harness/until.js";
import { appendEvent } from "./change-stream.js";

const NOW = Math.floor(Date.now() / 1000);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function recorder() {
  const state = { resets: 0, entries: new Map<string, DenyEntry>(), events: [] as RevocationEvent[] };
  return {
    state,
    handlers: {
      reset(entries: readonly DenyEntry[]) {
        state.resets += 1;
        state.entries = new Map(entries.map((e) => [`${e.kind}:${e.value}`, e]));
      },
      event(event: RevocationEvent) {
        state.events.push(event);
        if (event.type === "deny") state.entries.set(`${event.entry.kind}:${event.entry.value}`, event.entry);
      },
    },
  };
}

const jti = (value: string): RevocationEvent => ({ type: "deny", entry: { kind: "jti", value, expiresAt: NOW + 600 } });

describe("the stream follower", () => {
  it("loads the snapshot, then follows every new event", async () => {
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const keys = redisKeys(uniqueName("follow"));
    const append = (event: RevocationEvent) => appendEvent(redis, keys, event);
    await append(jti("before"));
    const { state, handlers } = recorder();
    const follower = startStreamFollower({ redis, keyPrefix: keys.prefix, handlers, blockMs: 200 });
    cleanups.push(() => follower.close());
    await follower.ready;
    expect([...state.entries.keys()]).toEqual(["jti:before"]);
    for (let i = 0; i < 20; i++) await append(jti(`after${i}`));
    await until(() => state.entries.size === 21, { message: "21 entries" });
    expect(state.events).toHaveLength(20);
    expect(follower.status()).toMatchObject({ ready: true, connected: true, snapshots: 1 });
  });

  it("passes token changes on in order, skips a malformed event, and goes on after a handler throws", async () => {
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const keys = redisKeys(uniqueName("events"));
    const seen: RevocationEvent[] = [];
    const follower = startStreamFollower({
      redis,
      keyPrefix: keys.prefix,
      blockMs: 200,
      handlers: {
        reset: () => {},
        event: (event) => {
          seen.push(event);
          if (event.type === "token_changed" && event.tokenId === "boom") throw new Error("handler failed");
        },
      },
    });
    cleanups.push(() => follower.close());
    await follower.ready;
    await appendEvent(redis, keys, { type: "token_changed", tokenId: "boom" });
    const seq = await redis.incr(keys.eventSequence);
    await redis.xadd(keys.events, "*", STREAM_FIELDS.event, "{not json", STREAM_FIELDS.sequence, String(seq));
    await appendEvent(redis, keys, { type: "token_changed", tokenId: "after" });
    await appendEvent(redis, keys, jti("last"));
    await until(() => seen.length === 3, { message: "three events" });
    expect(seen).toEqual([
      { type: "token_changed", tokenId: "boom" },
      { type: "token_changed", tokenId: "after" },
      jti("last"),
    ]);
    expect(follower.status()).toMatchObject({ ready: true, connected: true, snapshots: 1 });
  });

  it("resumes after Redis restarts, and reloads the snapshot when the stream was trimmed past it", async () => {
    const server = await startRedisServer({ persistent: true });
    cleanups.push(() => server.stop());
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    redis.on("error", () => {});
    cleanups.push(() => redis.disconnect());
    const keys = redisKeys(uniqueName("restart"));
    const append = (event: RevocationEvent) => appendEvent(redis, keys, event);
    const { state, handlers } = recorder();
    const follower = startStreamFollower({ redis, keyPrefix: keys.prefix, handlers, blockMs: 200 });
    cleanups.push(() => follower.close());
    await follower.ready;
    await append(jti("one"));
    await until(() => state.entries.has("jti:one"), { message: "first event" });

    // Redis goes away; the follower reports it; revocations made after the restart arrive.
    await server.stop();
    await until(() => !follower.status().connected, { message: "disconnect" });
    await server.restart();
    await until(() => redis.status === "ready", { message: "writer reconnect" });
    await append(jti("two"));
    await until(() => state.entries.has("jti:two"), { message: "event after restart" });
    expect(state.resets).toBe(1);

    // Events the follower never sees on the stream: written and trimmed away in one
    // transaction (as when a follower falls far behind). The numbering shows the gap.
    const lost = redis.multi();
    for (let i = 0; i < 5; i++) {
      const entry = { kind: "jti", value: `lost${i}`, expiresAt: NOW + 600 };
      lost
        .hset(keys.denyEntries, `jti:lost${i}`, JSON.stringify(entry))
        .zadd(keys.denyExpiry, NOW + 600, `jti:lost${i}`);
      lost.incr(keys.eventSequence);
    }
    lost.xtrim(keys.events, "MAXLEN", 0);
    await lost.exec();
    await append(jti("latest"));
    await until(() => state.entries.has("jti:latest") && state.entries.has("jti:lost4"), {
      message: "snapshot reload",
    });
    expect(state.resets).toBe(2);
    for (let i = 0; i < 5; i++) expect(state.entries.has(`jti:lost${i}`)).toBe(true);
  });
});
