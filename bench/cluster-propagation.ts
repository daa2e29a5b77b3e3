// Revocation propagation through one Redis and through a Redis Cluster, side
// by side: a real issuer process (admin API, outbox, BullMQ, deny-list Lua,
// change stream) and three verifiers following the deny-list in this process.
// Measured from the admin request until every verifier rejects the JWT.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createVerifier, type Verifier } from "@patgate/verifier";
import { Cluster } from "ioredis";
import { freePort } from "../test/harness/free-port.js";
import { startRedisCluster } from "../test/harness/redis-cluster.js";
import { startRedisServer } from "../test/harness/redis-server.js";
import { percentile } from "./lib/stats.js";

/** Propagation times of one topology, in milliseconds. */
export interface PropagationStats {
  readonly p50: number;
  readonly p99: number;
  readonly samples: number;
}

/** The figures side by side: one Redis, a cluster read from primaries, and from replicas. */
export interface ClusterPropagation {
  readonly single: PropagationStats;
  readonly cluster: PropagationStats;
  /** Verifiers reading the stream from replicas (`readFromReplicas`): replica lag included. */
  readonly clusterReplicas: PropagationStats;
  /** XADD on the primary → a blocked XREAD answers, on the primary itself and on its replica: the lag alone. */
  readonly streamRead: { readonly primary: PropagationStats; readonly replica: PropagationStats };
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const BIN = join(ROOT, "packages/issuer/dist/cli/bin.js");
const VERIFIERS = 3;
/** Revocations made first and not counted: connections, JIT and BullMQ warm up on them. */
const WARMUP = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** dynalite in this process, on a free port. */
async function startDynalite(): Promise<{ url: string; stop(): Promise<void> }> {
  const { default: dynalite } = await import("dynalite");
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface Issuer {
  readonly url: string;
  readonly adminJwt: string;
  stop(): Promise<void>;
}

async function exchange(url: string, pat: string, audience?: string): Promise<string> {
  const response = await fetch(`${url}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${pat}` },
    ...(audience ? { body: new URLSearchParams({ audience }) } : {}),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`exchange answered ${response.status}`);
  return body.access_token;
}

/** An issuer process on `redisEnv` (REDIS_URL or REDIS_CLUSTER_NODES), with an admin JWT. */
async function startIssuer(dynamoUrl: string, redisEnv: Record<string, string>): Promise<Issuer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-bench-cluster-"));
  const name = `bench-${port}`;
  const child: ChildProcess = spawn(process.execPath, [BIN, "serve"], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DYNAMODB_ENDPOINT: dynamoUrl,
      AWS_REGION: "us-east-1",
      PATGATE_TABLE: name,
      PATGATE_REDIS_PREFIX: name,
      PATGATE_DATA_DIR: dataDir,
      PATGATE_LOG_LEVEL: "warn",
      ...redisEnv,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; (await fetch(`${url}/readyz`).catch(() => undefined))?.status !== 200; waited += 100) {
    if (child.exitCode !== null || waited > 60_000) throw new Error("the issuer did not start");
    await sleep(100);
  }
  const adminPat = (await readFile(join(dataDir, "initial-admin-token"), "utf8")).trim();
  const adminJwt = await exchange(url, adminPat, "patgate-admin");
  return {
    url,
    adminJwt,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function api(issuer: Issuer, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${issuer.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${issuer.adminJwt}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Resolves once `verifier` rejects `jwt` (checked on every deny-list change). */
function deniedBy(verifier: Verifier, jwt: string, changed: EventTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("a verifier never denied the JWT")), 10_000);
    const check = () =>
      verifier.verify(jwt).catch((error: { code?: string }) => {
        if (error.code !== "token_denied") return;
        changed.removeEventListener("change", check);
        clearTimeout(timer);
        resolve(performance.now());
      });
    changed.addEventListener("change", check);
    check();
  });
}

/** Revokes `count` JWTs one at a time and times each until every verifier rejects it. */
async function measure(
  issuer: Issuer,
  redis: string | readonly string[],
  count: number,
  readFromReplicas = false,
): Promise<PropagationStats> {
  const changed = new EventTarget();
  const verifiers = Array.from({ length: VERIFIERS }, () =>
    createVerifier({
      issuer: issuer.url.replace(/\/$/, ""),
      audience: "patgate",
      jwksUri: `${issuer.url}/.well-known/jwks.json`,
      denyList: {
        redis,
        keyPrefix: `bench-${new URL(issuer.url).port}`,
        readFromReplicas,
        // Each change wakes the checks waiting on it: no polling between a change and its measurement.
        onChange: () => changed.dispatchEvent(new Event("change")),
      },
      logger: false,
    }),
  );
  try {
    const created = await api(issuer, "/admin/tokens", { owner: "bench", roles: ["read"] });
    const pat = created.token as string;
    const samples: number[] = [];
    for (let i = 0; i < count + WARMUP; i++) {
      const jwt = await exchange(issuer.url, pat);
      for (const verifier of verifiers) await verifier.verify(jwt).catch(() => sleep(50));
      const jti = JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString()).jti as string;
      const all = Promise.all(verifiers.map((verifier) => deniedBy(verifier, jwt, changed)));
      const sent = performance.now();
      await api(issuer, "/admin/jwts/revoke", { jti });
      const took = Math.max(...(await all)) - sent;
      if (i >= WARMUP) samples.push(took);
    }
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length };
  } finally {
    await Promise.all(verifiers.map((verifier) => verifier.close()));
  }
}

/** XADD → a blocking XREAD answers, `count` times, the reader on the primary or on a replica. */
async function streamLag(nodes: readonly string[], scaleReads: "master" | "slave", count: number) {
  const seeds = nodes.map((node) => ({ host: new URL(node).hostname, port: Number(new URL(node).port) }));
  const writer = new Cluster(seeds);
  const reader = new Cluster(seeds, { scaleReads });
  const key = `{bench-lag}:${scaleReads}`;
  try {
    let last = await writer.xadd(key, "*", "n", "0");
    const samples: number[] = [];
    for (let i = 0; i < count + WARMUP; i++) {
      const read = reader.xread("BLOCK", 5000, "STREAMS", key, last ?? "$");
      await sleep(2); // the read is blocked before the write
      const sent = performance.now();
      last = await writer.xadd(key, "*", "n", String(i));
      await read;
      if (i >= WARMUP) samples.push(performance.now() - sent);
    }
    return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length };
  } finally {
    writer.disconnect();
    reader.disconnect();
  }
}

/**
 * Revocation propagation (admin request → rejected by all of 3 verifiers)
 * through one Redis and through a six-node Redis Cluster (three primaries,
 * three replicas), the cluster's verifiers reading primaries, then replicas.
 * Needs `npm run build` first (it runs the built issuer) and `redis-server`.
 *
 * @example const { single, cluster } = await measureClusterPropagation(40);
 */
export async function measureClusterPropagation(revocations = 40): Promise<ClusterPropagation> {
  const dynamo = await startDynalite();
  const redis = await startRedisServer();
  const cluster = await startRedisCluster();
  const stops: (() => Promise<void>)[] = [dynamo.stop, redis.stop, cluster.stop];
  try {
    const onNode = await startIssuer(dynamo.url, { REDIS_URL: redis.url });
    stops.unshift(onNode.stop);
    const single = await measure(onNode, redis.url, revocations);
    const onCluster = await startIssuer(dynamo.url, { REDIS_CLUSTER_NODES: cluster.nodes.join(",") });
    stops.unshift(onCluster.stop);
    const clustered = await measure(onCluster, cluster.nodes, revocations);
    const clusterReplicas = await measure(onCluster, cluster.nodes, revocations, true);
    const streamRead = {
      primary: await streamLag(cluster.nodes, "master", revocations),
      replica: await streamLag(cluster.nodes, "slave", revocations),
    };
    return { single, cluster: clustered, clusterReplicas, streamRead };
  } finally {
    for (const stop of stops) await stop().catch(() => {});
  }
}
