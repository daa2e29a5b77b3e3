import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killWatchedChildren, spawnPatgate, untilServing } from "../harness/child-process.js";
import { dynamoEndpoint, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { adminJwtOver, initialAdminPat } from "../harness/issuer-admin.js";
import { startRedisServer, type TestRedis } from "../harness/redis-server.js";
import { TOPOLOGIES, type TopologyRedis, topologyRedis } from "../harness/topology.js";
import { until } from "../harness/until.js";

// The real issuer process against Redis that is down at start, goes away
// mid-run and comes back; and a SIGTERM in the middle of load.

interface Issuer {
  readonly url: string;
  readonly process: ChildProcess;
  readonly dataDir: string;
  output(): string;
}
const secrets: string[] = [];
const outputs: (() => string)[] = [];
/** Redis made by a test, stopped at the end even when the test failed half-way. */
const redisToStop: TopologyRedis[] = [];

afterAll(async () => {
  for (const redis of redisToStop) await redis.stop();
  await killWatchedChildren();
});

/** An issuer process on the shared DynamoDB and `redis`; with neither (`embedded`), on its own store in `dataDir`. */
async function startIssuer(
  redis: TestRedis | TopologyRedis | "embedded",
  table: string,
  dataDir?: string,
  /** With "embedded": the embedded store, but revocations through this Redis. */
  embeddedWithRedis?: TestRedis,
): Promise<Issuer> {
  const port = await freePort();
  dataDir ??= await mkdtemp(join(tmpdir(), "patgate-faults-"));
  const services =
    redis === "embedded"
      ? embeddedWithRedis
        ? { REDIS_URL: embeddedWithRedis.url, PATGATE_REDIS_PREFIX: table }
        : {}
      : {
          DYNAMODB_ENDPOINT: dynamoEndpoint(),
          AWS_REGION: "us-east-1",
          ...("url" in redis ? { REDIS_URL: redis.url } : redis.env),
          PATGATE_REDIS_PREFIX: table,
        };
  const issuer = spawnPatgate(["serve"], {
    PORT: String(port),
    ...services,
    PATGATE_TABLE: table,
    // One issuer name across restarts (the port changes): JWTs from before stay this issuer's.
    PATGATE_ISSUER: `https://${table}.test`,
    PATGATE_DATA_DIR: dataDir,
    PATGATE_LOG_LEVEL: "debug",
    // Bursts of cold exchanges from one address on a busy test machine: served, not shed
    // (shedding has its own tests in scrypt-flood.test.ts).
    PATGATE_COLD_EXCHANGES_PER_MINUTE: "100000",
    PATGATE_SCRYPT_MAX_WAIT: "60000",
  });
  outputs.push(issuer.output);
  const url = `http://127.0.0.1:${port}`;
  await untilServing(issuer, `${url}/healthz`, "the issuer to start");
  return { url, process: issuer.child, dataDir, output: issuer.output };
}

async function exchange(url: string, pat: string): Promise<Response> {
  return fetch(`${url}/token`, { method: "POST", headers: { authorization: `Bearer ${pat}` } });
}

async function adminClient(issuer: Issuer, dataDir = issuer.dataDir) {
  // Written before the issuer starts listening.
  const adminPat = await initialAdminPat(dataDir);
  secrets.push(adminPat);
  const jwt = await adminJwtOver(issuer.url, adminPat);
  secrets.push(jwt);
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${issuer.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${jwt}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
}

describe.each(TOPOLOGIES)("Redis unreachable, on %s Redis", (topology) => {
  it("at start and mid-run: exchanges keep working, revocations wait in the outbox and arrive", async () => {
    // A cluster: every node down, then back on the same ports.
    const redis = await topologyRedis(topology, { own: true });
    redisToStop.push(redis);
    await redis.pause();
    const table = uniqueName("faults");
    const issuer = await startIssuer(redis, table);
    expect((await fetch(`${issuer.url}/readyz`)).status).toBe(503);
    const admin = await adminClient(issuer);

    const created = await admin("POST", "/admin/tokens", { owner: "outage", roles: ["read"] });
    expect(created.status).toBe(201);
    const pat = created.body.token as string;
    secrets.push(pat);
    expect((await exchange(issuer.url, pat)).status).toBe(200); // cold: rate limits fail open
    expect((await exchange(issuer.url, pat)).status).toBe(200); // warm
    const revoked = await admin("POST", "/admin/owners/nobody-yet/revoke");
    expect(revoked.status).toBe(200);
    expect(revoked.body.propagation).toBe("pending");

    await redis.resume();
    await until(async () => (await fetch(`${issuer.url}/readyz`)).status === 200, { message: "readiness" });
    await until(async () => (await admin("GET", "/admin/revocations")).body.pending === 0, {
      message: "the pending revocation",
    });

    // Mid-run: Redis goes away again; exchanges do not notice.
    await redis.pause();
    const second = await admin("POST", "/admin/tokens", { owner: "outage-2", roles: ["read"] });
    secrets.push(second.body.token as string);
    expect((await exchange(issuer.url, second.body.token as string)).status).toBe(200);
    expect((await exchange(issuer.url, pat)).status).toBe(200);
    const during = await admin("POST", `/admin/tokens/${(second.body.record as { tokenId: string }).tokenId}/revoke`);
    expect(during.body.propagation).toBe("pending");
    expect((await exchange(issuer.url, second.body.token as string)).status).toBe(400); // DynamoDB says revoked

    await redis.resume();
    // A cluster's nodes come back one by one and BullMQ reconnects with back-off: on a busy machine this
    // has taken just over 20 s, so the wait is longer than the default (the test's own limit is 90 s).
    await until(async () => (await admin("GET", "/admin/revocations")).body.pending === 0, {
      message: "delivery after restart",
      timeoutMs: 45_000,
    });
    expect(issuer.process.exitCode).toBeNull();
    await redis.stop();
  }, 90_000);
});

describe("two issuers sharing the store, with Redis stopped", () => {
  it("a PAT revoked through one is no longer exchanged by the other, cached or not", async () => {
    const redis = await startRedisServer({ persistent: true });
    const table = uniqueName("pair");
    const first = await startIssuer(redis, table);
    const second = await startIssuer(redis, table);
    const admin = await adminClient(first);
    for (let i = 0; i < 3; i++) {
      const created = await admin("POST", "/admin/tokens", { owner: `pair-${i}`, roles: ["read"] });
      const pat = created.body.token as string;
      secrets.push(pat);
      // The second issuer has the PAT in its cache.
      expect((await exchange(second.url, pat)).status).toBe(200);
      expect((await exchange(second.url, pat)).status).toBe(200);
      await redis.stop();
      const tokenId = (created.body.record as { tokenId: string }).tokenId;
      const revoked = await admin("POST", `/admin/tokens/${tokenId}/revoke`);
      expect(revoked.body.propagation).toBe("pending");
      // Answered: no issuer exchanges it any more, whatever Redis says.
      expect((await exchange(second.url, pat)).status).toBe(400);
      expect((await exchange(first.url, pat)).status).toBe(400);
      await redis.restart();
      await until(async () => (await admin("GET", "/admin/revocations")).body.pending === 0, { message: "delivery" });
    }
    await redis.stop();
  }, 90_000);
});

describe("the embedded default, restarted", () => {
  it("keeps jti denials and revision marks: a denied admin JWT stays denied, a pre-downgrade JWT inactive", async () => {
    const table = uniqueName("embedded");
    const first = await startIssuer("embedded", table);
    const admin = await adminClient(first);
    const created = await admin("POST", "/admin/tokens", { owner: "eve", roles: ["read", "write"] });
    const pat = created.body.token as string;
    secrets.push(pat);
    const tokenId = (created.body.record as { tokenId: string }).tokenId;
    const before = ((await (await exchange(first.url, pat)).json()) as { access_token: string }).access_token;
    secrets.push(before);
    expect((await admin("PATCH", `/admin/tokens/${tokenId}`, { roles: { remove: ["write"] } })).status).toBe(200);
    // A second admin JWT, denied by its jti.
    const denied = await adminJwtOver(first.url, await initialAdminPat(first.dataDir));
    secrets.push(denied);
    const jti = JSON.parse(Buffer.from(denied.split(".")[1] ?? "", "base64url").toString()).jti as string;
    expect((await admin("POST", "/admin/jwts/revoke", { jti })).status).toBe(200);
    const adminWith = (jwt: string) =>
      fetch(`${first.url}/admin/tokens/${tokenId}`, { headers: { authorization: `Bearer ${jwt}` } });
    expect((await adminWith(denied)).status).toBe(401);

    first.process.kill("SIGTERM");
    await once(first.process, "exit");
    const again = await startIssuer("embedded", table, first.dataDir);
    const deniedAgain = await fetch(`${again.url}/admin/tokens/${tokenId}`, {
      headers: { authorization: `Bearer ${denied}` },
    });
    expect(deniedAgain.status).toBe(401);
    const adminAgain = await adminClient(again, first.dataDir);
    const introspected = await fetch(`${again.url}/introspect`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await adminJwtOf(again, first.dataDir)}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ token: before }),
    });
    expect(await introspected.json()).toEqual({ active: false });
    expect((await adminAgain("GET", `/admin/tokens/${tokenId}`)).status).toBe(200);
    again.process.kill("SIGTERM");
    await once(again.process, "exit");
  }, 60_000);
});

describe("revocations made embedded, then the same data run with Redis", () => {
  it("reach Redis verifiers: every revocation still in force is written to Redis at start", async () => {
    const table = uniqueName("catchup");
    const first = await startIssuer("embedded", table);
    const admin = await adminClient(first);
    const created = await admin("POST", "/admin/tokens", { owner: "before-redis", roles: ["read"] });
    const pat = created.body.token as string;
    secrets.push(pat);
    const jwt = ((await (await exchange(first.url, pat)).json()) as { access_token: string }).access_token;
    secrets.push(jwt);
    const tokenId = (created.body.record as { tokenId: string }).tokenId;
    expect((await admin("POST", `/admin/tokens/${tokenId}/revoke`)).status).toBe(200);
    first.process.kill("SIGTERM");
    await once(first.process, "exit");

    // A Redis that has served before: its deny-list says it is complete, yet it never saw that revocation.
    const redis = await startRedisServer();
    const { Redis } = await import("ioredis");
    const client = new Redis(redis.url);
    const { redisKeys } = await import("@patgate/shared");
    await client.set(redisKeys(table).denyComplete, "1");
    const again = await startIssuer("embedded", table, first.dataDir, redis);
    const { createVerifier } = await import("@patgate/verifier");
    const verifier = createVerifier({
      issuer: `https://${table}.test`,
      audience: "patgate",
      jwksUri: `${again.url}/.well-known/jwks.json`,
      denyList: { redis: redis.url, keyPrefix: table },
      logger: false,
    });
    try {
      await until(
        async () =>
          verifier.verify(jwt).then(
            () => false,
            (error: { code?: string }) => error.code === "token_denied",
          ),
        { message: "the revocation made embedded to reach the Redis deny-list", timeoutMs: 15_000 },
      );
    } finally {
      await verifier.close();
      client.disconnect();
      again.process.kill("SIGTERM");
      await once(again.process, "exit");
      await redis.stop();
    }
  }, 60_000);
});

/** A fresh admin JWT from the initial admin PAT in `dataDir`. */
async function adminJwtOf(issuer: Issuer, dataDir: string): Promise<string> {
  const jwt = await adminJwtOver(issuer.url, await initialAdminPat(dataDir));
  secrets.push(jwt);
  return jwt;
}

describe.each(TOPOLOGIES)("SIGTERM under load, on %s Redis", (topology) => {
  it("finishes every request in flight, then exits 0", async () => {
    const redis = await topologyRedis(topology);
    redisToStop.push(redis);
    const issuer = await startIssuer(redis, uniqueName("sigterm"));
    const admin = await adminClient(issuer);
    const pats: string[] = [];
    for (let i = 0; i < 32; i++) {
      const created = await admin("POST", "/admin/tokens", { owner: `load-${i}` });
      pats.push(created.body.token as string);
    }
    secrets.push(...pats);
    // An owner none of the exchanged PATs belongs to: its revocation must not race them.
    await admin("POST", "/admin/tokens", { owner: "bystander" });
    // Cold exchanges (a scrypt each) and a revocation, all in flight when the signal lands.
    let settled = 0;
    const inFlight = [
      ...pats.map((pat) => exchange(issuer.url, pat).then((r) => r.status)),
      admin("POST", "/admin/owners/bystander/revoke").then((r) => r.status),
    ].map((p) => p.finally(() => settled++));
    // The signal lands once the issuer has received every request: each is either
    // answered (counted before the poll is sent) or in flight (the gauge, which counts the poll too).
    let inFlightAtSignal = 0;
    await until(
      async () => {
        const answered = settled;
        const metrics = await (await fetch(`${issuer.url}/metrics`)).text();
        inFlightAtSignal = Number(/^patgate_http_requests_in_flight (\d+)$/m.exec(metrics)?.[1]) - 1;
        return answered + inFlightAtSignal >= inFlight.length;
      },
      // No pause between polls: the signal must land while most requests are still in flight.
      { message: () => `every request received (${settled} answered, ${inFlightAtSignal} in flight)`, intervalMs: 0 },
    );
    expect(inFlightAtSignal).toBeGreaterThan(pats.length / 2);
    const exited = once(issuer.process, "exit");
    issuer.process.kill("SIGTERM");
    const statuses = await Promise.all(inFlight.map((p) => p.catch((error: unknown) => String(error))));
    const [code] = await exited;
    expect(statuses).toEqual(Array(statuses.length).fill(200));
    expect(code).toBe(0);
    await redis.stop();
  }, 60_000);
});

describe("the logs of these runs", () => {
  it("hold no PAT and no JWT", () => {
    // Every JSON log line; the one-time banner with the initial admin token is not a log line.
    const all = outputs
      .flatMap((output) => output().split("\n"))
      .filter((line) => line.startsWith("{"))
      .join("\n");
    expect(all.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      // The secret part of a PAT, or a JWT's signature: either would be a leak.
      const telling = secret.startsWith("pat_") ? (secret.split(".")[1] ?? secret) : (secret.split(".")[2] ?? secret);
      expect(all).not.toContain(telling);
    }
  });
});
