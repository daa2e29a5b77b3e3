// A DPoP-bound JWT (RFC 9449) verified with a fresh proof per request, beside
// the same verifier's bearer path and the peers that check DPoP
// (oauth4webapi's validateJwtAccessToken with requireDPoP, auth0's
// express-oauth2-jwt-bearer with dpop required), in calls per CPU-second of
// this process. Proofs are made before each round (a client's cost, not the
// server's), each used once; JWTs EdDSA, proofs ES256 and Ed25519 (a row each).
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { createServer } from "node:http";
import { generateKeyPair, generateProof } from "dpop";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { type DpopContender, type DpopRequest, dpopContenders } from "../lib/dpop-peers.js";

const [durationText = "700", roundsText = "3", proofAlgsText = "ES256,Ed25519"] = process.argv.slice(2);
const durationMs = Number(durationText);
const rounds = Number(roundsText);
const AUDIENCE = "patgate";
const URL_ = "http://localhost/resource";
/** Requests made per kind and round: more than any contender verifies in `durationMs`. */
const POOL = 6000;
const WARM_UP = 200;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const { publicKey, privateKey } = generateKeyPairSync("ed25519");

function mint(issuer: string, cnf?: { jkt: string }): string {
  const nowS = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: "EdDSA", kid: "k1", typ: "at+jwt" })}.${b64({
    iss: issuer,
    sub: "user0",
    aud: AUDIENCE,
    iat: nowS,
    exp: nowS + 3600,
    jti: randomUUID(),
    client_id: "0123456789abcdefghijk",
    roles: ["read", "write"],
    scope: "read write",
    ...(cnf ? { cnf } : {}),
  })}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

/** Calls per CPU-second over requests from `next` for `durationMs` or until they run out. */
async function perCpuSecond(verify: (r: DpopRequest) => Promise<unknown>, pool: DpopRequest[]): Promise<number> {
  let cursor = 0;
  for (; cursor < WARM_UP; cursor++) await verify(pool[cursor] as DpopRequest);
  let calls = 0;
  const cpuBefore = process.cpuUsage();
  const end = performance.now() + durationMs;
  const lane = async () => {
    while (cursor < pool.length && performance.now() < end) {
      calls += 1;
      await verify(pool[cursor++] as DpopRequest);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  const cpu = process.cpuUsage(cpuBefore);
  return calls / ((cpu.user + cpu.system) / 1e6);
}

const publicJwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "EdDSA", use: "sig" };
const jwksServer = createServer((_req, res) => {
  res.setHeader("connection", "close");
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ keys: [publicJwk] }));
});
await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
const address = jwksServer.address();
const issuer = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
type Holder = { pair: Awaited<ReturnType<typeof generateKeyPair>>; jkt: string; reusedJwt: string };

async function holderFor(alg: "ES256" | "Ed25519"): Promise<Holder> {
  const pair = await generateKeyPair(alg);
  const jkt = await calculateJwkThumbprint(await exportJWK(pair.publicKey));
  return { pair, jkt, reusedJwt: mint(issuer, { jkt }) };
}

/** `count` requests: bearer (unbound JWTs), or DPoP with a fresh proof each, distinct JWTs or one reused. */
async function requests(holder: Holder, kind: "bearer" | "distinct" | "reused", count: number): Promise<DpopRequest[]> {
  const out: DpopRequest[] = [];
  for (let i = 0; i < count; i++) {
    if (kind === "bearer") {
      out.push({ method: "GET", url: URL_, headers: { authorization: `Bearer ${mint(issuer)}`, host: "localhost" } });
      continue;
    }
    const jwt = kind === "reused" ? holder.reusedJwt : mint(issuer, { jkt: holder.jkt });
    const proof = await generateProof(holder.pair, URL_, "GET", undefined, jwt);
    out.push({ method: "GET", url: URL_, headers: { authorization: `DPoP ${jwt}`, dpop: proof, host: "localhost" } });
  }
  return out;
}

const all = await dpopContenders({ issuer, audience: AUDIENCE, jwksUri: `${issuer}/jwks.json`, publicJwk });
type Figures = Record<string, { bearer: number[]; distinct: number[]; reused: number[]; unsupported?: string }>;

async function measure(holder: Holder): Promise<Figures> {
  const result: Figures = {};
  for (const name of Object.keys(all)) result[name] = { bearer: [], distinct: [], reused: [] };
  for (let round = 0; round < rounds; round++) {
    const pools = {
      bearer: await requests(holder, "bearer", POOL),
      distinct: await requests(holder, "distinct", POOL),
      reused: await requests(holder, "reused", POOL),
    };
    for (const [name, contender] of Object.entries(all) as [string, DpopContender][]) {
      const entry = result[name] as Figures[string];
      if (entry.unsupported) continue;
      try {
        for (const kind of ["bearer", "distinct", "reused"] as const) {
          if (kind === "bearer" && !contender.bearer) continue;
          entry[kind].push(await perCpuSecond(contender.fresh(), pools[kind]));
        }
      } catch (error) {
        entry.unsupported = `failed: ${String((error as Error).message ?? error).slice(0, 80)}`;
      }
    }
  }
  return result;
}

const byProofAlg: Record<string, Figures> = {};
for (const alg of proofAlgsText.split(",") as ("ES256" | "Ed25519")[])
  byProofAlg[alg] = await measure(await holderFor(alg));
jwksServer.close();
process.send?.({ ready: { byProofAlg } });
