import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createVerifier, type Verifier, VerifierError } from "@patgate/verifier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { untilServing } from "../harness/child-process.js";
import { dynamoEndpoint, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { adminJwtOver, initialAdminPat } from "../harness/issuer-admin.js";
import { startRedisCluster, type TestRedisCluster } from "../harness/redis-cluster.js";
import { until } from "../harness/until.js";

// The primary that holds patgate's slot is SIGKILLed while revocations and
// exchanges stream through a real issuer process and a `patgate worker`
// process (PATGATE_WORKER=off on the issuer) on a six-node Redis Cluster.
// A replica is promoted; no revocation is lost or left pending, verifiers
// (reading from primaries, and from replicas) keep following, and exchanges
// never fail with anything but a 503.
const BIN = resolve(import.meta.dirname, "../../packages/issuer/dist/cli/bin.js");
const VICTIMS = 30;
/** Revocations made before the kill; the rest stream through the switch. */
const KILL_AFTER = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cluster: TestRedisCluster;
let issuer: ChildProcess;
let worker: ChildProcess;
let issuerUrl: string;
let output = "";
let adminJwt: string;
let prefix: string;
const verifiers: Verifier[] = [];

async function api(method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${issuerUrl}${path}`, { method, headers: { authorization: `Bearer ${adminJwt}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function exchange(pat: string, audience?: string): Promise<{ status: number; jwt?: string }> {
  const response = await fetch(`${issuerUrl}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${pat}` },
    ...(audience ? { body: new URLSearchParams({ audience }) } : {}),
  }).catch(() => undefined);
  if (!response) return { status: 0 };
  const body = (await response.json()) as { access_token?: string };
  return { status: response.status, ...(body.access_token ? { jwt: body.access_token } : {}) };
}

async function verdict(verifier: Verifier, jwt: string): Promise<string> {
  try {
    await verifier.verify(jwt);
    return "accepted";
  } catch (error) {
    if (error instanceof VerifierError) return error.code;
    throw error;
  }
}

beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: 1500 });
  prefix = uniqueName("failover");
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-failover-"));
  issuerUrl = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    PORT: String(port),
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    AWS_REGION: "us-east-1",
    PATGATE_TABLE: prefix,
    REDIS_CLUSTER_NODES: cluster.nodes.join(","),
    PATGATE_REDIS_PREFIX: prefix,
    PATGATE_DATA_DIR: dataDir,
    PATGATE_COLD_EXCHANGES_PER_MINUTE: "100000",
    PATGATE_SCRYPT_MAX_WAIT: "60000",
  };
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  issuer = spawn(process.execPath, [BIN, "serve"], {
    env: { ...env, PATGATE_WORKER: "off" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  worker = spawn(process.execPath, [BIN, "worker"], { env, stdio: ["ignore", "pipe", "pipe"] });
  for (const child of [issuer, worker]) {
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
  }
  await untilServing({ child: issuer, output: () => output }, `${issuerUrl}/readyz`, "the issuer", 30_000);
  adminJwt = await adminJwtOver(issuerUrl, await initialAdminPat(dataDir));
  const jwksUri = `${issuerUrl}/.well-known/jwks.json`;
  for (const readFromReplicas of [false, true]) {
    verifiers.push(
      createVerifier({
        issuer: `http://127.0.0.1:${port}`,
        audience: "patgate",
        jwksUri,
        denyList: { redis: cluster.nodes, keyPrefix: prefix, readFromReplicas },
        logger: false,
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(verifiers.map((verifier) => verifier.close()));
  for (const child of [issuer, worker]) {
    if (child && child.exitCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
  await cluster?.stop();
});

describe("the primary holding patgate's slot is killed mid-stream", () => {
  it("loses no revocation, leaves none pending, and exchanges fail with 503 at most", async () => {
    const victims: { tokenId: string; jwt: string }[] = [];
    // PATs to revoke, each with a JWT minted before its revocation.
    for (let i = 0; i < VICTIMS; i++) {
      const created = await fetch(`${issuerUrl}/admin/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminJwt}`, "content-type": "application/json" },
        body: JSON.stringify({ owner: `victim-${i}`, roles: ["read"] }),
      });
      const body = (await created.json()) as { token: string; record: { tokenId: string } };
      const minted = await exchange(body.token);
      victims.push({ tokenId: body.record.tokenId, jwt: minted.jwt ?? "" });
    }
    const bystander = (await (
      await fetch(`${issuerUrl}/admin/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminJwt}`, "content-type": "application/json" },
        body: JSON.stringify({ owner: "bystander", roles: ["read"] }),
      })
    ).json()) as { token: string };
    // Both verifiers have loaded the deny-list once they accept a JWT not yet revoked.
    for (const verifier of verifiers) {
      await until(async () => (await verdict(verifier, victims[0]?.jwt ?? "")) === "accepted", {
        message: "verifiers ready",
        timeoutMs: 30_000,
      });
    }

    const ready = (await (await fetch(`${issuerUrl}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks).toMatchObject({ redis: "ok", cluster: "ok" });

    // Exchanges all along: the bystander's PAT, over and over.
    const exchanges: number[] = [];
    let streaming = true;
    const exchanging = (async () => {
      while (streaming) {
        exchanges.push((await exchange(bystander.token)).status);
        await sleep(10); // pacing the stream, not waiting for anything
      }
    })();

    const revokeStatuses: number[] = [];
    const propagation: Record<string, number> = {};
    let killedAt = 0;
    let killedPort = 0;
    let switchMs = 0;
    const switched = (async () => {
      await until(() => killedAt !== 0, { message: "the primary to be killed", timeoutMs: 60_000 });
      await cluster.waitPromoted(`{${prefix}}`, killedPort, 60_000);
      switchMs = Date.now() - killedAt;
    })();
    for (let i = 0; i < VICTIMS; i++) {
      if (i === KILL_AFTER) {
        killedPort = await cluster.primaryOf(`{${prefix}}`);
        cluster.kill(killedPort);
        killedAt = Date.now();
      }
      const victim = victims[i];
      const revoked = await api("POST", `/admin/tokens/${victim?.tokenId}/revoke`);
      revokeStatuses.push(revoked.status);
      const answer = String(revoked.body.propagation);
      propagation[answer] = (propagation[answer] ?? 0) + 1;
      await sleep(100); // pacing: the revocations after the kill are spread over the switch
    }
    await switched;

    // Nothing stays pending, nothing failed for good.
    await until(async () => (await api("GET", "/admin/revocations")).body.pending === 0, {
      message: "no pending revocation",
      timeoutMs: 60_000,
    });
    const { items } = (await api("GET", "/admin/revocations?limit=100")).body as { items: { state: string }[] };
    expect(items.filter((item) => item.state !== "propagated")).toEqual([]);
    // Every JWT of a revoked PAT is denied by every verifier, the one reading replicas included.
    let delivered = 0;
    for (const victim of victims) {
      for (const verifier of verifiers) {
        await until(async () => (await verdict(verifier, victim.jwt)) === "token_denied", {
          message: "a revoked JWT denied",
          timeoutMs: 30_000,
        });
      }
      delivered += 1;
    }
    streaming = false;
    await exchanging;
    const last = await exchange(bystander.token);
    expect(last.status).toBe(200);
    for (const verifier of verifiers) expect(await verdict(verifier, last.jwt ?? "")).toBe("accepted");
    expect(revokeStatuses.every((status) => status === 200)).toBe(true);
    expect(exchanges.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(issuer.exitCode, output).toBeNull();
    expect(worker.exitCode, output).toBeNull();
    const failedExchanges = exchanges.filter((status) => status !== 200).length;
    process.stdout.write(
      `${JSON.stringify({ failover: { switchMs, revocations: VICTIMS, delivered, exchanges: exchanges.length, failedExchanges, propagation } })}\n`,
    );
  }, 180_000);
});
