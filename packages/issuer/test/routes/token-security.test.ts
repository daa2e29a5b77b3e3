import { verifySecret } from "@patgate/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import type { AppParts } from "../../src/context.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";

let redis: Redis;
const issuers: TestIssuer[] = [];
beforeAll(() => {
  redis = new Redis(redisUrl());
});
afterAll(async () => {
  for (const issuer of issuers) await issuer.app.close();
  redis.disconnect();
});

/** The lock-out in memory (one issuer) and in Redis (shared by issuers): the same rules. */
const modes: [string, () => Partial<AppParts> & { env?: Record<string, string> }][] = [
  ["in memory", () => ({})],
  ["in Redis", () => ({ redis, env: { PATGATE_REDIS_PREFIX: uniqueName("lockout") } })],
];

/** An issuer whose store counts every scrypt check (`TokenStoreInternals.verifySecret`). */
async function countingIssuer(mode: () => Partial<AppParts> & { env?: Record<string, string> }, limit: number) {
  const scrypt = vi.fn(verifySecret);
  const { store } = await freshStore({}, { verifySecret: scrypt });
  const { env = {}, ...deps } = mode();
  const issuer = await testIssuer({ PATGATE_TOKEN_FAILURE_LIMIT: String(limit), ...env }, { ...deps, store });
  issuers.push(issuer);
  const exchange = (pat: string, remoteAddress: string) =>
    issuer.app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${pat}` }, remoteAddress });
  return { issuer, scrypt, exchange };
}

function wrongSecret(tokenId: string, fill: number): string {
  return `pat_${tokenId}.${Buffer.alloc(32, fill).toString("base64url")}`;
}

describe.each(modes)("the exchange lock-out %s", (_label, mode) => {
  it("forged guesses from one address do not lock out the holder at another", async () => {
    const { issuer, exchange } = await countingIssuer(mode, 3);
    const { token, record } = await issuer.store.issue({ owner: "holder" });
    // The token id is public (every JWT's client_id): anyone can aim guesses at it.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await exchange(wrongSecret(record.tokenId, i), "203.0.113.7")).statusCode);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    // From the guesser's own address the token id stays locked out, the real secret included...
    const locked = await exchange(token, "203.0.113.7");
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    // ...but the holder, elsewhere and never cached, is served.
    expect((await exchange(token, "198.51.100.20")).statusCode).toBe(200);
  });

  it("30 concurrent wrong guesses from one address reach scrypt at most `limit` times", async () => {
    const limit = 10;
    const { issuer, scrypt, exchange } = await countingIssuer(mode, limit);
    const { record } = await issuer.store.issue({ owner: "target" });
    scrypt.mockClear();
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => exchange(wrongSecret(record.tokenId, i), "203.0.113.8")),
    );
    expect(scrypt.mock.calls.length).toBeLessThanOrEqual(limit);
    expect(responses.filter((r) => r.statusCode === 400)).toHaveLength(scrypt.mock.calls.length);
    expect(responses.filter((r) => r.statusCode === 429)).toHaveLength(30 - scrypt.mock.calls.length);
  });

  it("limits failures per address across token ids (PATGATE_ADDRESS_FAILURE_LIMIT)", async () => {
    const { issuer, exchange } = await countingIssuer(() => {
      const { env = {}, ...deps } = mode();
      return { ...deps, env: { ...env, PATGATE_ADDRESS_FAILURE_LIMIT: "4" } };
    }, 10);
    const ids = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => (await issuer.store.issue({ owner: `o${i}` })).record.tokenId),
    );
    const statuses: number[] = [];
    for (const [i, id] of ids.entries()) statuses.push((await exchange(wrongSecret(id, i), "203.0.113.9")).statusCode);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    const { token } = await issuer.store.issue({ owner: "neighbour" });
    expect((await exchange(token, "203.0.113.10")).statusCode).toBe(200);
  });

  it("a holder's successes never count against it", async () => {
    const { issuer, exchange } = await countingIssuer(() => {
      const { env = {}, ...deps } = mode();
      // No PAT cache: every exchange goes through the lock-out and scrypt.
      return { ...deps, env: { ...env, PATGATE_PAT_CACHE_TTL: "0" } };
    }, 2);
    const { token } = await issuer.store.issue({ owner: "busy" });
    for (let i = 0; i < 6; i++) expect((await exchange(token, "198.51.100.30")).statusCode).toBe(200);
  });
});
