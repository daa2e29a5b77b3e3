import { type DenyEntry, type RevocationEvent, redisKeys } from "@patgate/shared";
import { startStreamFollower } from "@patgate/verifier/stream-follower";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { startRedisServer } from "../../../../test/harness/redis-server.js";
import { createDenyListWriter } from "../../src/revocation/deny-list-writer.js";

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

async function until(check: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const jti = (value: string): RevocationEvent => ({ type: "deny", entry: { kind: "jti", value, expiresAt: NOW + 600 } });

describe("the stream follower", () => {
  it("loads the snapshot, then follows every new event", async () => {
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const keys = redisKeys(uniqueName("follow"));
    const writer = createDenyListWriter(redis, keys);
    await writer.write(jti("before"), NOW);
    const { state, handlers } = recorder();
    const follower = startStreamFollower({ redis, keyPrefix: keys.prefix, handlers, blockMs: 200 });
    cleanups.push(() => follower.close());
    await follower.ready;
    expect([...state.entries.keys()]).toEqual(["jti:before"]);
    for (let i = 0; i < 20; i++) await writer.write(jti(`after${i}`), NOW);
    await until(() => state.entries.size === 21, "21 entries");
    expect(state.events).toHaveLength(20);
    expect(follower.status()).toMatchObject({ ready: true, connected: true, snapshots: 1 });
  });

  it("resumes after Redis restarts, and reloads the snapshot when the stream was trimmed past it", async () => {
    const server = await startRedisServer({ persistent: true });
    cleanups.push(() => server.stop());
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    redis.on("error", () => {});
    cleanups.push(() => redis.disconnect());
    const keys = redisKeys(uniqueName("restart"));
    const writer = createDenyListWriter(redis, keys);
    const { state, handlers } = recorder();
    const follower = startStreamFollower({ redis, keyPrefix: keys.prefix, handlers, blockMs: 200 });
    cleanups.push(() => follower.close());
    await follower.ready;
    await writer.write(jti("one"), NOW);
    await until(() => state.entries.has("jti:one"), "first event");

    // Redis goes away; the follower reports it; revocations made after the restart arrive.
    await server.stop();
    await until(() => !follower.status().connected, "disconnect");
    await server.restart();
    await until(() => redis.status === "ready", "writer reconnect");
    await writer.write(jti("two"), NOW);
    await until(() => state.entries.has("jti:two"), "event after restart");
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
    await writer.write(jti("latest"), NOW);
    await until(() => state.entries.has("jti:latest") && state.entries.has("jti:lost4"), "snapshot reload");
    expect(state.resets).toBe(2);
    for (let i = 0; i < 5; i++) expect(state.entries.has(`jti:lost${i}`)).toBe(true);
  });
});
