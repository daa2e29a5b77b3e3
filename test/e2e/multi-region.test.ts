import { redisKeys } from "@patgate/shared";
import { createVerifier, type Verifier, VerifierError } from "@patgate/verifier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedis } from "../../packages/issuer/src/redis/connection.js";
import { commandConnectionOptions } from "../../packages/issuer/src/redis/connection-options.js";
import { createOutbox, createOutboxTable, type Outbox } from "../../packages/issuer/src/revocation/outbox.js";
import { createRevocationQueue } from "../../packages/issuer/src/revocation/queue.js";
import { createRevocation, type Revocation } from "../../packages/issuer/src/revocation/revocation.js";
import { createTokenStore, createTokenTable } from "../../packages/issuer/src/tokens/index.js";
import type { TokenStore } from "../../packages/issuer/src/tokens/types.js";
import { ISSUER, type TestIssuer, testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { FAST_SCRYPT, testDynamoClient, uniqueName } from "../harness/context.js";
import { startRedisServer, type TestRedis } from "../harness/redis-server.js";
import { startRegionRelay } from "../harness/region-relay.js";
import { until } from "../harness/until.js";

// The multi-region design (docs/multi-region.md), simulated: two regions, each
// with its own Redis, issuer, worker and verifier, sharing one store (one
// dynalite stands in for a DynamoDB global table with no replication lag).
// Each region's queue is fed from the outbox by a relay (the stand-in for the
// outbox table's stream), so a revocation made in one region reaches the
// verifiers of both.

const client = testDynamoClient();
const prefix = uniqueName("regions");
const closers: (() => Promise<unknown> | unknown)[] = [];
let store: TokenStore;
let outbox: Outbox;

interface Region {
  readonly redis: TestRedis;
  readonly issuer: TestIssuer;
  readonly revocation: Revocation;
  readonly verifier: Verifier;
}
const regions: Region[] = [];

async function startRegion(keysFrom?: TestIssuer): Promise<Region> {
  const redis = await startRedisServer({ persistent: true });
  closers.push(() => redis.stop());
  const connection = openRedis({ url: redis.url }, commandConnectionOptions());
  connection.on("error", () => {});
  const keys = redisKeys(prefix);
  const revocation = await createRevocation({
    store,
    outbox,
    redis: { connection, keys, worker: true },
    jwtTtlSeconds: 300,
    stateMaxAgeSeconds: 60,
  });
  const issuer = await testIssuer(
    { PATGATE_COLD_EXCHANGES_PER_MINUTE: "100000" },
    // Every region signs with the same keys, as the design requires.
    { store, revocation, ...(keysFrom ? { keys: keysFrom.keys } : {}) },
  );
  const relayQueue = createRevocationQueue(connection, keys);
  const relay = startRegionRelay({ outbox, queue: relayQueue });
  const jwks = (await (keysFrom ?? issuer).app.inject({ url: "/.well-known/jwks.json" })).json();
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: "patgate",
    jwks,
    denyList: { redis: redis.url, keyPrefix: prefix },
    logger: false,
  });
  closers.push(async () => {
    await verifier.close();
    relay.close();
    await relayQueue.close();
    await issuer.app.close();
    await revocation.close();
    connection.disconnect();
  });
  return { redis, issuer, revocation, verifier };
}

beforeAll(async () => {
  const tableName = uniqueName("tokens");
  const outboxTable = uniqueName("outbox");
  await createTokenTable(client, tableName);
  await createOutboxTable(client, outboxTable);
  store = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT });
  outbox = createOutbox(client, outboxTable);
  const first = await startRegion();
  regions.push(first, await startRegion(first.issuer));
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function verdict(verifier: Verifier, jwt: string): Promise<string> {
  try {
    await verifier.verify(jwt);
    return "accepted";
  } catch (error) {
    if (error instanceof VerifierError) return error.code;
    throw error;
  }
}

/** Ms from now until `verifier` denies `jwt`. */
async function deniedAfter(verifier: Verifier, jwt: string, since: number, limitMs = 15_000): Promise<number> {
  await until(async () => (await verdict(verifier, jwt)) === "token_denied", {
    message: "a revoked JWT to be denied in a region",
    timeoutMs: Math.max(0, limitMs - (performance.now() - since)),
    intervalMs: 2,
  });
  return performance.now() - since;
}

/** A PAT and a JWT of it minted in `region`, accepted by both regions' verifiers. */
async function mintIn(region: Region, owner: string): Promise<{ tokenId: string; pat: string; jwt: string }> {
  const { token, record } = await store.issue({ owner, roles: ["read"] });
  const jwt = await region.issuer.exchange(token);
  for (const other of regions) expect(await verdict(other.verifier, jwt)).toBe("accepted");
  return { tokenId: record.tokenId, pat: token, jwt };
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;

describe("two regions sharing one store", () => {
  it("a revocation made in one region is denied by the verifiers of both, and neither issuer mints from the PAT", async () => {
    const [home, away] = regions as [Region, Region];
    const same: number[] = [];
    const cross: number[] = [];
    for (let i = 0; i < 12; i++) {
      // Minted in the other region, revoked in this one: the JWT is out there before the revocation.
      const { tokenId, pat, jwt } = await mintIn(away, `traveller-${i}`);
      // Timed from the request: the revoke answers once its own region has the change.
      const requested = performance.now();
      const revoked = home.revocation.changes.revokeToken(tokenId);
      const [sameMs, crossMs] = await Promise.all([
        deniedAfter(home.verifier, jwt, requested),
        deniedAfter(away.verifier, jwt, requested),
      ]);
      await revoked;
      same.push(sameMs);
      cross.push(crossMs);
      // The store is the source of truth: neither region exchanges the PAT once the revoke answered.
      await expect(away.issuer.exchange(pat)).rejects.toThrow(/revoked/);
      await expect(home.issuer.exchange(pat)).rejects.toThrow(/revoked/);
    }
    process.stdout.write(
      `${JSON.stringify({
        multiRegion: {
          revocations: same.length,
          sameRegion: { p50: percentile(same, 50), p99: percentile(same, 99) },
          crossRegion: { p50: percentile(cross, 50), p99: percentile(cross, 99) },
        },
      })}\n`,
    );
  }, 60_000);

  it("a region whose Redis is down while a revocation is made elsewhere gets it when its Redis returns", async () => {
    const [home, away] = regions as [Region, Region];
    const { tokenId, jwt } = await mintIn(away, "outage-traveller");
    await away.redis.stop();
    await home.revocation.changes.revokeToken(tokenId);
    const answered = performance.now();
    await deniedAfter(home.verifier, jwt, answered);
    await away.redis.restart();
    await deniedAfter(away.verifier, jwt, performance.now(), 30_000);
  }, 60_000);
});
