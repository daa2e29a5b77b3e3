// verify() beside the ceiling and the peers, per algorithm, in a process of
// its own: distinct tokens (each seen once) and a reused one (a fresh copy
// per call, as each HTTP request carries its own string), in calls per
// CPU-second of this process (every thread: jose's WebCrypto runs on the pool),
// alternating rounds.
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { createServer } from "node:http";
import { type Alg, type Contender, contenders } from "../lib/verify-peers.js";

const [durationText = "700", roundsText = "3", algsText = "EdDSA,ES256,RS256"] = process.argv.slice(2);
const durationMs = Number(durationText);
const rounds = Number(roundsText);
const AUDIENCE = "patgate";
/** Distinct tokens minted per algorithm (RSA signing is slow: fewer, and a run stops when they run out). */
const POOL: Record<Alg, number> = { EdDSA: 12_000, ES256: 12_000, RS256: 5_000 };
const WARM_UP = 300;

function keyPair(alg: Alg) {
  if (alg === "EdDSA") return generateKeyPairSync("ed25519");
  if (alg === "ES256") return generateKeyPairSync("ec", { namedCurve: "P-256" });
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function mintPool(alg: Alg, issuer: string, privateKey: ReturnType<typeof keyPair>["privateKey"], count: number) {
  const header = b64({ alg, kid: "k1", typ: "at+jwt" });
  const nowS = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, () => {
    const payload = b64({
      iss: issuer,
      sub: "user0",
      aud: AUDIENCE,
      iat: nowS,
      exp: nowS + 3600,
      jti: randomUUID(),
      client_id: "0123456789abcdefghijk",
      roles: ["read", "write"],
      scope: "read write",
    });
    const input = `${header}.${payload}`;
    const signature = sign(alg === "EdDSA" ? null : "sha256", Buffer.from(input), {
      key: privateKey,
      ...(alg === "ES256" ? { dsaEncoding: "ieee-p1363" as const } : {}),
    });
    return `${input}.${signature.toString("base64url")}`;
  });
}

/** Calls per CPU-second of `fn` over tokens from `next`, for `durationMs` or `maxCalls`, whichever comes first. */
async function perCpuSecond(contender: Contender, next: () => string, maxCalls: number): Promise<number> {
  const fn = contender.fresh();
  for (let i = 0; i < Math.min(WARM_UP, maxCalls); i++) await fn(next());
  let calls = 0;
  const cpuBefore = process.cpuUsage();
  const end = performance.now() + durationMs;
  if (contender.sync) {
    while (calls < maxCalls && ((calls & 127) !== 0 || performance.now() < end)) {
      fn(next());
      calls += 1;
    }
  } else {
    const lane = async () => {
      while (calls < maxCalls && performance.now() < end) {
        calls += 1;
        await fn(next());
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
  }
  const cpu = process.cpuUsage(cpuBefore);
  return calls / ((cpu.user + cpu.system) / 1e6);
}

async function measureAlg(alg: Alg) {
  const { publicKey, privateKey } = keyPair(alg);
  const publicJwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg, use: "sig" };
  const jwksServer = createServer((_req, res) => {
    // One connection per fetch: a kept-alive socket closed by the server while idle resets the next fetch.
    res.setHeader("connection", "close");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  const address = jwksServer.address();
  const issuer = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const pool = mintPool(alg, issuer, privateKey, POOL[alg]);
  const all = await contenders({ alg, issuer, audience: AUDIENCE, publicJwk, jwksUri: `${issuer}/jwks.json` });
  const reused = pool[0] as string;
  const head = reused.slice(0, 40);
  const tail = reused.slice(40);
  const result: Record<string, { distinct: number[]; reused: number[]; unsupported?: string }> = {};
  for (const [name, contender] of Object.entries(all)) {
    try {
      await contender.fresh()(reused);
      result[name] = { distinct: [], reused: [] };
    } catch (error) {
      result[name] = { distinct: [], reused: [], unsupported: String((error as Error).message ?? error).slice(0, 80) };
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, contender] of Object.entries(all)) {
      const entry = result[name] as (typeof result)[string];
      if (entry.unsupported) continue;
      let cursor = pool.length - 1;
      try {
        entry.distinct.push(await perCpuSecond(contender, () => pool[cursor--] as string, pool.length - WARM_UP - 1));
        entry.reused.push(await perCpuSecond(contender, () => head + tail, Number.POSITIVE_INFINITY));
      } catch (error) {
        // A peer failing mid-run is reported as such, not allowed to end the whole bench.
        entry.unsupported = `failed: ${String((error as Error).message ?? error).slice(0, 80)}`;
      }
    }
  }
  jwksServer.close();
  return result;
}

const byAlg: Record<string, Awaited<ReturnType<typeof measureAlg>>> = {};
for (const alg of algsText.split(",") as Alg[]) byAlg[alg] = await measureAlg(alg);
process.send?.({ ready: { byAlg } });
