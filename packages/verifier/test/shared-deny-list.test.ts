import { type DenyEntry, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../../test/harness/context.js";
import { startRedisServer } from "../../../test/harness/redis-server.js";
import { until } from "../../../test/harness/until.js";
import { createRedisDenyList, type RedisDenyList } from "../src/index.js";
import { appendEvent } from "./change-stream.js";

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const nowS = () => Math.floor(Date.now() / 1000);
const claims = (jti: string) => ({ jti, sub: "s", client_id: "c", iat: nowS() });

/** Connections the Redis has, other than `admin`'s own. */
async function followerConnections(admin: Redis): Promise<number> {
  const list = (await admin.client("LIST")) as string;
  return list.split("\n").filter((line) => line.includes("cmd=xread")).length;
}

describe("deny-lists of one process following the same Redis", () => {
  it("share one follower: one blocking read, every list told on the same wake-up; the last close ends it", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const admin = new Redis(server.url);
    cleanups.push(() => admin.disconnect());
    const prefix = uniqueName("shared");
    const deny = (entry: DenyEntry) => appendEvent(admin, redisKeys(prefix), { type: "deny", entry });
    const told: number[] = [0, 0, 0, 0, 0];
    const lists: RedisDenyList[] = [];
    for (let i = 0; i < told.length; i++) {
      lists.push(
        await createRedisDenyList({ redis: server.url, keyPrefix: prefix, onChange: () => (told[i] as number)++ }),
      );
    }
    await Promise.all(lists.map((list) => list.ready));
    await until(async () => (await followerConnections(admin)) === 1, { message: "one blocking reader" });
    const before = [...told];
    await deny({ kind: "jti", value: "one", expiresAt: nowS() + 600 });
    await until(() => lists.every((list) => list.check(claims("one"), nowS()) !== undefined), { message: "all" });
    expect(told.map((n, i) => n - (before[i] as number))).toEqual([1, 1, 1, 1, 1]);

    // A list with another prefix follows on its own.
    const other = await createRedisDenyList({ redis: server.url, keyPrefix: uniqueName("other") });
    await other.ready;
    await until(async () => (await followerConnections(admin)) === 2, { message: "a second reader" });
    await other.close?.();

    // Closing some leaves the rest following; closing the last ends the read.
    for (const list of lists.slice(0, 4)) await list.close?.();
    await deny({ kind: "jti", value: "two", expiresAt: nowS() + 600 });
    const last = lists[4] as RedisDenyList;
    await until(() => last.check(claims("two"), nowS()) !== undefined, { message: "the last list still follows" });
    await last.close?.();
    await until(async () => (await followerConnections(admin)) === 0, { message: "no reader left" });

    // A list made afterwards starts a follower of its own, from the snapshot.
    const fresh = await createRedisDenyList({ redis: server.url, keyPrefix: prefix });
    cleanups.push(() => fresh.close?.());
    await fresh.ready;
    expect(fresh.check(claims("two"), nowS())).toMatchObject({ value: "two" });
    expect(fresh.status().snapshots).toBe(1);
  });
});
