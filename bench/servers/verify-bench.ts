// The verifier microbenchmarks, in a process of their own (run with --expose-gc):
// verify() against raw jose jwtVerify with the same key and algorithm, on
// distinct and reused tokens, and with 0 vs 100k deny-list entries.
import { randomUUID } from "node:crypto";
import { type DenyEntry, denyEntryField, redisKeys } from "@patgate/shared";
import { createRedisDenyList, createVerifier, type Verifier } from "@patgate/verifier";
import { Redis } from "ioredis";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { median, throughput } from "../lib/stats.js";

const [durationText = "3000", redisUrl = "", denyCountText = "100000", roundsText = "3"] = process.argv.slice(2);
const durationMs = Number(durationText);
const denyCount = Number(denyCountText);
const rounds = Number(roundsText);
const ISSUER = "https://issuer.bench";
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
const publicJwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "EdDSA", use: "sig" };
const nowS = Math.floor(Date.now() / 1000);

async function mint(): Promise<string> {
  return new SignJWT({ client_id: "0123456789abcdefghijk", roles: ["read", "write"], scope: "read write" })
    .setProtectedHeader({ alg: "EdDSA", kid: "k1", typ: "at+jwt" })
    .setIssuer(ISSUER)
    .setSubject("user0")
    .setAudience("patgate")
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + 3600)
    .setJti(randomUUID())
    .sign(privateKey);
}

// Enough distinct tokens that none repeats within a measurement.
const distinct = await Promise.all(Array.from({ length: Math.ceil(durationMs * 25) }, mint));
const reused = distinct[0] as string;
let cursor = 0;
const nextToken = () => distinct[cursor++ % distinct.length] as string;
const rawOptions = { issuer: ISSUER, audience: "patgate", algorithms: ["EdDSA"] };

/**
 * Best of `rounds` alternating runs of each function, in calls per CPU-second:
 * the least disturbed figure of each.
 */
async function compare(fns: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const runs: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(fns)) {
      cursor = 0;
      gc();
      const figures = runs[name] ?? [];
      figures.push((await throughput(fn, durationMs, 8)).perCpuSecond);
      runs[name] = figures;
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([name, values]) => [name, Math.max(...values)]));
}

const plain = createVerifier({ issuer: ISSUER, audience: "patgate", jwks: { keys: [publicJwk] } });
const speeds = await compare({
  joseDistinct: () => jwtVerify(nextToken(), publicKey, rawOptions),
  verifyDistinct: () => plain.verify(nextToken()),
  joseReused: () => jwtVerify(reused, publicKey, rawOptions),
  verifyReused: () => plain.verify(reused),
});

// 100k deny entries, loaded the way a service loads them: the Redis snapshot.
const redis = new Redis(redisUrl);
const prefix = `bench-${randomUUID().slice(0, 8)}`;
const keys = redisKeys(prefix);
for (let start = 0; start < denyCount; start += 5000) {
  const batch = redis.pipeline();
  for (let i = start; i < Math.min(denyCount, start + 5000); i++) {
    const entry: DenyEntry =
      i % 2 === 0
        ? { kind: "jti", value: randomUUID(), expiresAt: nowS + 3600 }
        : { kind: "client", value: `c${i}`.padEnd(21, "x"), minRev: 2, expiresAt: nowS + 3600 };
    batch.hset(keys.denyEntries, denyEntryField(entry), JSON.stringify(entry));
  }
  await batch.exec();
}
async function heapWith(build: () => Promise<Verifier>): Promise<{ verifier: Verifier; heapBytes: number }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const verifier = await build();
  await verifier.verify(reused);
  gc();
  return { verifier, heapBytes: process.memoryUsage().heapUsed - before };
}
const empty = await heapWith(async () => {
  const list = await createRedisDenyList({ redis: redisUrl, keyPrefix: `${prefix}-empty` });
  await list.ready;
  return createVerifier({ issuer: ISSUER, audience: "patgate", jwks: { keys: [publicJwk] }, denyList: list });
});
const full = await heapWith(async () => {
  const list = await createRedisDenyList({ redis: redisUrl, keyPrefix: prefix });
  await list.ready;
  if (list.status().size !== denyCount) throw new Error(`deny-list holds ${list.status().size}, not ${denyCount}`);
  return createVerifier({ issuer: ISSUER, audience: "patgate", jwks: { keys: [publicJwk] }, denyList: list });
});
const deny = await compare({
  reusedNoDeny: () => empty.verifier.verify(reused),
  reusedDeny: () => full.verifier.verify(reused),
  distinctNoDeny: () => empty.verifier.verify(nextToken()),
  distinctDeny: () => full.verifier.verify(nextToken()),
});
// Latency of one verify (reused token), median of many single calls: the "0 vs 100k" growth figure.
// Alternating rounds, lowest median of each, as for the throughputs.
async function latencyUs(verifier: Verifier): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const start = performance.now();
    await verifier.verify(reused);
    samples.push((performance.now() - start) * 1000);
  }
  return median(samples);
}
const latency = { noDenyUs: Number.POSITIVE_INFINITY, denyUs: Number.POSITIVE_INFINITY };
for (let round = 0; round < 2 * rounds; round++) {
  latency.noDenyUs = Math.min(latency.noDenyUs, await latencyUs(empty.verifier));
  latency.denyUs = Math.min(latency.denyUs, await latencyUs(full.verifier));
}

await Promise.all([empty.verifier.close(), full.verifier.close(), plain.close()]);
await redis.del(keys.denyEntries);
redis.disconnect();
process.send?.({
  ready: {
    ...speeds,
    ...deny,
    ...latency,
    denyHeapBytes: full.heapBytes - empty.heapBytes,
    denyCount,
  },
});
