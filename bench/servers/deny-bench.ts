// How verify() cost and heap grow with the deny-list (run with --expose-gc):
// for each size, entries written to Redis as the issuer writes them, a
// verifier loaded from the snapshot as a service loads it, then distinct and
// reused tokens per CPU-second. One message per size, so a size that cannot
// be reached still leaves the others.
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { type DenyEntry, denyEntryField, redisKeys } from "@patgate/shared";
import { createRedisDenyList, createVerifier, type Verifier } from "@patgate/verifier";
import { Redis } from "ioredis";

const [durationText = "500", redisUrl = "", countsText = "0", roundsText = "3"] = process.argv.slice(2);
const durationMs = Number(durationText);
const rounds = Number(roundsText);
const ISSUER = "https://issuer.bench";
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const nowS = Math.floor(Date.now() / 1000);

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const publicJwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "EdDSA", use: "sig" };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const header = b64({ alg: "EdDSA", kid: "k1", typ: "at+jwt" });
function mint(): string {
  const claims = { iss: ISSUER, sub: "user0", aud: "patgate", iat: nowS, exp: nowS + 3600, jti: randomUUID() };
  const input = `${header}.${b64({ ...claims, client_id: "0123456789abcdefghijk", roles: ["read"], scope: "read" })}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}
const pool = Array.from({ length: Math.ceil(durationMs * 20) }, mint);
const reused = pool[0] as string;

async function perCpuSecond(verifier: Verifier, next: () => string, maxCalls: number): Promise<number> {
  gc();
  let calls = 0;
  const before = process.cpuUsage();
  const end = performance.now() + durationMs;
  while (calls < maxCalls && performance.now() < end) {
    calls += 1;
    await verifier.verify(next());
  }
  const cpu = process.cpuUsage(before);
  return calls / ((cpu.user + cpu.system) / 1e6);
}

const redis = new Redis(redisUrl);
const keys = redisKeys(`bench-deny-${randomUUID().slice(0, 8)}`);
/** Adds entries until the hash holds `count`: half by jti, half by client revision, as revocations write them. */
async function fillTo(count: number, from: number): Promise<void> {
  for (let start = from; start < count; start += 5000) {
    const batch = redis.pipeline();
    for (let i = start; i < Math.min(count, start + 5000); i++) {
      const entry: DenyEntry =
        i % 2 === 0
          ? { kind: "jti", value: randomUUID(), expiresAt: nowS + 3600 }
          : { kind: "client", value: `c${i}`.padEnd(21, "x"), minRev: 2, expiresAt: nowS + 3600 };
      batch.hset(keys.denyEntries, denyEntryField(entry), JSON.stringify(entry));
    }
    await batch.exec();
  }
}

/** Heap plus array buffers: a list that keeps its entries outside the heap is charged for them too. */
function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

process.send?.({ ready: {} });
let filled = 0;
for (const count of countsText.split(",").map(Number)) {
  await fillTo(count, filled);
  filled = count;
  gc();
  gc();
  const heapBefore = memoryInUse();
  const loadStart = performance.now();
  const list = await createRedisDenyList({ redis: redisUrl, keyPrefix: keys.prefix });
  await list.ready;
  const loadMs = performance.now() - loadStart;
  // A fresh verifier (and so an empty token cache) per measurement: distinct tokens must not hit the cache.
  const verifierOf = () =>
    createVerifier({ issuer: ISSUER, audience: "patgate", jwks: { keys: [publicJwk] }, denyList: list });
  const verifier = verifierOf();
  await verifier.verify(reused);
  gc();
  gc();
  const heapBytes = memoryInUse() - heapBefore;
  const distinct: number[] = [];
  const reusedFigures: number[] = [];
  const head = reused.slice(0, 40);
  const tail = reused.slice(40);
  for (let round = 0; round < rounds; round++) {
    let cursor = pool.length - 1;
    distinct.push(await perCpuSecond(verifierOf(), () => pool[cursor--] as string, pool.length - 1));
    reusedFigures.push(await perCpuSecond(verifier, () => head + tail, Number.POSITIVE_INFINITY));
  }
  await verifier.close();
  await list.close?.();
  process.send?.({ point: { entries: list.status().size, heapBytes, loadMs, distinct, reused: reusedFigures } });
}
await redis.del(keys.denyEntries);
redis.disconnect();
process.send?.({ done: true });
