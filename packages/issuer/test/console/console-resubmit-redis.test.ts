import { redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { startRedisServer } from "../../../../test/harness/redis-server.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { type ConsoleClient, signInWithPat } from "./console-client.js";
import { DELAYS, expectAlreadyDone, expectOneCreated, resend, SECRET_FIELD, turns } from "./resubmit-fixture.js";

// Two issuers behind one load balancer (same session secret, token store and Redis): a create or
// rotate form re-sent to the other issuer changes nothing either, and of two racing, one runs.
const HOUR = 3_600_000;
let clock = Date.now();
const prefix = uniqueName("console-forms");
const OWNER = "racer";
let redis: Redis;
let first: TestIssuer;
let second: TestIssuer;
let adminPat: string;
let client: ConsoleClient;

beforeAll(async () => {
  redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const env = { PATGATE_SESSION_SECRET: "a-session-secret-shared-by-every-issuer", PATGATE_REDIS_PREFIX: prefix };
  first = await testIssuer(env, { redis, now: () => clock });
  second = await testIssuer(env, { redis, store: first.store, now: () => clock });
  adminPat = (await first.store.issue({ owner: OWNER, isAdmin: true, roles: [] })).token;
  client = await signInWithPat(first.app, adminPat);
});
afterAll(async () => {
  await first.app.close();
  await second.app.close();
  redis.disconnect();
});

async function tokensNamed(name: string): Promise<string[]> {
  const { items } = await first.store.list({ owner: OWNER, limit: 100 });
  return items.filter((record) => record.name === name).map((record) => record.tokenId);
}

describe("one-time console forms shared through Redis", () => {
  it("answers a create form re-sent to the other issuer with 'already created', and keeps the PAT's id only", async () => {
    // An hour of activity (a request every 20 minutes, within the idle lifetime).
    for (let i = 0; i < 3; i++) {
      clock += HOUR / 3;
      expect((await client.get("/console")).statusCode).toBe(200);
    }
    await client.get("/console/tokens/new");
    const formKey = client.formKey ?? "";
    const made = await resend(first.app, client, "/console/tokens", { name: "elsewhere", expires: "30" });
    expect(made.statusCode).toBe(201);
    const resent = await resend(second.app, client, "/console/tokens", { name: "elsewhere", expires: "30" });
    const [tokenId] = await tokensNamed("elsewhere");
    expectAlreadyDone(resent, "Token already created", tokenId ?? "-");
    expect(await tokensNamed("elsewhere")).toHaveLength(1);

    // Under the prefix's hash tag, holding the id and nothing of the secret, for the session's remaining lifetime.
    const keys = await redis.keys(`{${prefix}}:console:form:*`);
    expect(keys).toEqual([
      expect.stringMatching(new RegExp(`^\\{${prefix}\\}:console:form:[0-9a-f-]{36}:${formKey}$`)),
    ]);
    expect(await redis.get(keys[0] ?? "")).toBe(tokenId);
    const ttl = await redis.pttl(keys[0] ?? "");
    expect(ttl).toBeGreaterThan(7 * HOUR - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * HOUR);
  });

  it("creates exactly one PAT from two submissions racing on two issuers, in both orders (many times)", async () => {
    for (let round = 0; round < 32; round++) {
      const [one, other] = round % 2 === 0 ? [first, second] : [second, first];
      const delay = DELAYS[Math.floor(round / 2) % DELAYS.length] ?? 0;
      const name = `race ${round}`;
      await client.get("/console/tokens/new");
      const form = { name, expires: "7" };
      const sent = resend(one.app, client, "/console/tokens", form);
      await turns(delay);
      const answers = await Promise.all([sent, resend(other.app, client, "/console/tokens", form)]);
      const tokenId = expectOneCreated(answers);
      expect(await tokensNamed(name), `round ${round}, delay ${delay}`).toEqual([tokenId]);
    }
  });

  it("rotates exactly once from two submissions racing on two issuers, in both orders", async () => {
    const { record } = await first.store.issue({ owner: OWNER, roles: [], name: "raced rotation" });
    const url = `/console/tokens/${record.tokenId}/rotate`;
    for (let round = 0; round < 16; round++) {
      const [one, other] = round % 2 === 0 ? [first, second] : [second, first];
      await client.get(`/console/tokens/${record.tokenId}`);
      const sent = resend(one.app, client, url, { graceSeconds: "0" });
      await turns(DELAYS[Math.floor(round / 2) % DELAYS.length] ?? 0);
      const answers = await Promise.all([sent, resend(other.app, client, url, { graceSeconds: "0" })]);
      const shown = answers.filter((answer) => SECRET_FIELD.test(answer.body));
      expect(shown, `round ${round}`).toHaveLength(1);
      for (const answer of answers.filter((a) => !SECRET_FIELD.test(a.body)))
        expectAlreadyDone(answer, "Token already rotated", record.tokenId);
      await expect(first.exchange(SECRET_FIELD.exec(shown[0]?.body ?? "")?.[1] ?? "")).resolves.toMatch(/^eyJ/);
    }
  });

  it("answers a 503 page, and creates nothing, while Redis refuses the claim (out of memory)", async () => {
    // A Redis of this test's own, so that filling it up touches no other test.
    const own = await startRedisServer();
    const connection = new Redis(own.url, { maxRetriesPerRequest: 1 });
    const full = await testIssuer({ PATGATE_REDIS_PREFIX: prefix }, { redis: connection, store: first.store });
    try {
      const owner = await signInWithPat(full.app, adminPat);
      await owner.get("/console/tokens/new");
      // Reads still work (the session's sign-out check), writes are refused: the claim cannot be taken.
      await connection.config("SET", "maxmemory", "1");
      const refused = await owner.post("/console/tokens", { name: "no claim", expires: "7" });
      expect(refused.statusCode).toBe(503);
      expect(refused.body).toContain("A backing store is unavailable");
      expect(await tokensNamed("no claim")).toEqual([]);
      // Redis back to normal: the same form goes through, once.
      await connection.config("SET", "maxmemory", "0");
      expect((await owner.post("/console/tokens", { name: "no claim", expires: "7" })).statusCode).toBe(201);
      expect((await owner.post("/console/tokens", { name: "no claim", expires: "7" })).statusCode).toBe(200);
      expect(await tokensNamed("no claim")).toHaveLength(1);
    } finally {
      await full.app.close();
      connection.disconnect();
      await own.stop();
    }
  });

  it("builds the key under the prefix's hash tag, so it lands in the prefix's slot on a Cluster", () => {
    expect(redisKeys("pg").consoleFormSubmitted("0b1c", "q2Lx")).toBe("{pg}:console:form:0b1c:q2Lx");
    expect(() => redisKeys("pg").consoleFormSubmitted("0b1c", "{x}")).toThrow(TypeError);
  });
});
