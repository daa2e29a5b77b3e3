import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startBlackholeProxy } from "../../../../test/harness/blackhole-proxy.js";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { until } from "../../../../test/harness/until.js";
import {
  blockingConnectionOptions,
  COMMAND_TIMEOUT_MS,
  commandConnectionOptions,
} from "../../src/redis/connection-options.js";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("the issuer's Redis connection options", () => {
  it("a command connection fails fast on a silent Redis, then replaces the dead connection by itself", async () => {
    const proxy = await startBlackholeProxy(redisUrl());
    cleanups.push(() => proxy.close());
    const redis = new Redis(proxy.url, { ...commandConnectionOptions(), lazyConnect: true });
    redis.on("error", () => {});
    cleanups.push(() => redis.disconnect());
    await redis.connect();
    expect(await redis.ping()).toBe("PONG");

    proxy.blackhole();
    const started = Date.now();
    await expect(redis.get(uniqueName("k"))).rejects.toThrow("Command timed out");
    expect(Date.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS + 1000);

    // The cut connection never answers again; only a new one does.
    proxy.heal();
    await until(async () => (await redis.ping().catch(() => "")) === "PONG", {
      message: "a new connection",
      timeoutMs: 10_000,
    });
  });

  it("a connection BullMQ blocks on keeps a blocking read longer than the command timeout it was copied from", async () => {
    const base = new Redis(redisUrl(), { ...commandConnectionOptions(), lazyConnect: true });
    cleanups.push(() => base.disconnect());
    const blocking = base.duplicate(blockingConnectionOptions());
    cleanups.push(() => blocking.disconnect());
    // 1.5 s of blocking, past the 1 s command timeout: an empty answer, not "Command timed out".
    await expect(blocking.bzpopmin(uniqueName("empty"), 1.5)).resolves.toBeNull();
  });
});
