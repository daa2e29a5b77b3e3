import { dpopProofId, redisKeys } from "@patgate/shared";
import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { Redis } from "ioredis";
import { calculateJwkThumbprint, decodeJwt, exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../test/harness/context.js";
import { freePort } from "../../../test/harness/free-port.js";
import { startRedisCluster, type TestRedisCluster } from "../../../test/harness/redis-cluster.js";
import { createVerifier, type Verifier } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, sign, type TestKey } from "./fixtures.js";

/** `dpop: { replay: "redis" }`: replicas of a resource server share the jti replay check through the deny-list's Redis. */
const URL_ = "https://api.test/orders";
let signingKey: TestKey;
let holder: KeyPair;
let jkt: string;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  signingKey = await makeKey("ES256");
  holder = await generateKeyPair("ES256");
  jkt = await calculateJwkThumbprint(await exportJWK(holder.publicKey));
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function replica(redis: string | readonly string[] | Redis, keyPrefix: string): Verifier {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [signingKey.publicJwk] },
    denyList: { redis, keyPrefix },
    dpop: { replay: "redis" },
    logger: false,
  });
  cleanups.push(() => verifier.close());
  return verifier;
}

async function boundJwt(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(signingKey, claims({ iat: now - 5, exp: now + 300, cnf: { jkt } }));
}

async function request(token: string) {
  const proof = await generateProof(holder, URL_, "GET", undefined, token);
  return { method: "GET", url: URL_, headers: { authorization: `DPoP ${token}`, dpop: proof } };
}

/** One proof sent to `first` then `second`: accepted once, refused as used on the other replica. */
async function replayAcross(first: Verifier, second: Verifier, token: string) {
  const sent = await request(token);
  await expect(first.verifyRequest(sent)).resolves.toMatchObject({ sub: "alice" });
  await expect(second.verifyRequest(sent)).rejects.toMatchObject({
    code: "invalid_dpop_proof",
    status: 401,
    message: expect.stringMatching(/used before/),
  });
  return sent;
}

describe("dpop: { replay: 'redis' }", () => {
  it("a proof accepted by one replica is refused by the other, in both orders, many times; its key lives under the prefix for the window", async () => {
    const prefix = uniqueName("dpop-replay");
    const a = replica(redisUrl(), prefix);
    const b = replica(redisUrl(), prefix);
    const token = await boundJwt();
    for (let i = 0; i < 10; i++) await replayAcross(i % 2 === 0 ? a : b, i % 2 === 0 ? b : a, token);

    const sent = await replayAcross(a, b, token);
    const redis = new Redis(redisUrl());
    cleanups.push(() => redis.disconnect());
    const key = redisKeys(prefix).dpopProofSeen(dpopProofId(jkt, decodeJwt(sent.headers.dpop).jti as string));
    expect(key.startsWith(`${prefix}:dpop:jti:{`)).toBe(true);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(121_000);
  });

  it("racing replicas: of one proof sent to both at once, exactly one accepts it", async () => {
    const prefix = uniqueName("dpop-race");
    const client = new Redis(redisUrl());
    cleanups.push(() => client.disconnect());
    // One replica given an ioredis client (used as is), one a URL.
    const a = replica(client, prefix);
    const b = replica(redisUrl(), prefix);
    const token = await boundJwt();
    for (let i = 0; i < 20; i++) {
      const sent = await request(token);
      const order = i % 2 === 0 ? [a, b] : [b, a];
      const results = await Promise.allSettled(order.map((verifier) => verifier.verifyRequest(sent)));
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    }
    await a.close();
    expect(await client.ping()).toBe("PONG"); // a given client is not closed
  });

  it("Redis unreachable: 503 dpop_replay_unavailable within the wait, never an accepted proof", async () => {
    const verifier = replica(`redis://127.0.0.1:${await freePort()}`, uniqueName("dpop-down"));
    const started = performance.now();
    await expect(verifier.verifyRequest(await request(await boundJwt()))).rejects.toMatchObject({
      code: "dpop_replay_unavailable",
      status: 503,
    });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("dpop: { replay: 'redis' } on a Redis Cluster", () => {
  let cluster: TestRedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    cleanups.push(() => cluster.stop());
  }, 120_000);

  it("shares the replay check across replicas given the seed nodes", async () => {
    const prefix = uniqueName("dpop-cluster");
    const a = replica(cluster.nodes, prefix);
    const b = replica(cluster.nodes, prefix);
    const token = await boundJwt();
    for (let i = 0; i < 6; i++) await replayAcross(i % 2 === 0 ? a : b, i % 2 === 0 ? b : a, token);
  });
});
