// What every section shares: Redis, the DynamoDB-compatible store, the real
// issuer (`patgate serve`), seeded PATs, and the cleanups run at the end.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createTokenStore, type TokenStore } from "@patgate/issuer";
import { formatPat, hashSecret, newTokenId } from "@patgate/shared";
import { freePort } from "../../test/harness/free-port.js";
import { startRedisServer } from "../../test/harness/redis-server.js";
import { type Child, SERVERS_DIR, startChild } from "./child.js";
import { profile } from "./settings.js";

/** The repository root (bench/dist/bench/lib → ../../../..). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

const cleanups: (() => Promise<unknown>)[] = [];
export function onCleanup(step: () => Promise<unknown>): void {
  cleanups.push(step);
}
export async function cleanup(): Promise<void> {
  for (const step of cleanups.reverse()) await step().catch(() => {});
}

export function server(name: string): string {
  return join(SERVERS_DIR, `${name}.js`);
}

export function pidOf(child: Child | { process: ChildProcess }): number {
  return child.process.pid as number;
}

export interface Issuer {
  readonly url: string;
  readonly process: ChildProcess;
}

/** node flags writing a CPU profile of the process when the run was given `--profile`. */
export function profileArgs(): string[] {
  return profile ? ["--cpu-prof", `--cpu-prof-dir=${join(ROOT, "bench/results/profiles")}`] : [];
}

/** Spawns the real issuer (`patgate serve`) and waits for /readyz. */
export async function startIssuer(env: Record<string, string>): Promise<Issuer> {
  const port = await freePort();
  const child = spawn(process.execPath, [...profileArgs(), join(ROOT, "packages/issuer/dist/cli/bin.js"), "serve"], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const url = `http://127.0.0.1:${port}`;
  onCleanup(async () => child.kill("SIGTERM"));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the issuer exited: ${stderr}`);
    const up = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { url, process: child };
    if (Date.now() > deadline) throw new Error(`the issuer did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A JWT for `pat` (the Bearer shortcut), for the default audience or the one given. */
export async function exchange(url: string, pat: string, audience?: string): Promise<string> {
  const response = await fetch(`${url}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${pat}` },
    ...(audience === undefined ? {} : { body: new URLSearchParams({ audience }) }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`exchange failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Registers `count` PATs sharing one secret (one scrypt hash, real parameters), 16 at a time. */
export async function seedPats(store: TokenStore, count: number, owner: string): Promise<string[]> {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const secretPhc = await hashSecret(secret);
  const pats: string[] = [];
  let next = 0;
  async function lane(): Promise<void> {
    while (next < count) {
      next += 1;
      const tokenId = newTokenId();
      await store.register({ tokenId, secretPhc, owner: `${owner}${next}`, roles: ["read", "write"] });
      pats.push(formatPat("pat_", tokenId, secret));
    }
  }
  await Promise.all(Array.from({ length: 16 }, lane));
  return pats;
}

/** An admin PAT, for the admin API. */
export async function seedAdmin(store: TokenStore): Promise<string> {
  const { token } = await store.issue({ owner: "bench-admin", isAdmin: true, roles: ["admin"] });
  return token;
}

/** Everything a section may use; built once per run. */
export interface BenchContext {
  readonly redisUrl: string;
  readonly dynalite: Child;
  readonly issuerEnv: Record<string, string>;
  readonly dataDir: string;
  readonly store: TokenStore;
  readonly dynamo: DynamoDBClient;
  readonly table: string;
  /** The main issuer, with its background worker. */
  readonly issuer: Issuer;
  readonly jwks: string;
  /** 50 PATs, each exchanged once already (warm in the issuer's cache). */
  readonly warmPats: readonly string[];
  /** PATs in the table so far (the table-size curve tops it up). */
  patCount: number;
}

export async function startContext(): Promise<BenchContext> {
  const redis = await startRedisServer();
  onCleanup(() => redis.stop());
  const dynalite = await startChild(server("dynalite"));
  onCleanup(() => dynalite.stop());
  const dynamoEndpoint = `http://127.0.0.1:${dynalite.ready.port}`;
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-bench-"));
  onCleanup(() => rm(dataDir, { recursive: true, force: true }));
  const issuerEnv = {
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    AWS_REGION: "us-east-1",
    REDIS_URL: redis.url,
    PATGATE_TABLE: "bench-tokens",
    PATGATE_DATA_DIR: dataDir,
    PATGATE_JWT_TTL: "3600",
    // The load comes from one IP; the per-IP limit would answer 429 to the benchmark itself.
    PATGATE_RATE_LIMIT: "10000000",
    PATGATE_COLD_EXCHANGES_PER_MINUTE: "10000000",
    // The cold rounds queue 8 exchanges on purpose: measured, not shed (a busy machine stretches each scrypt).
    PATGATE_SCRYPT_MAX_WAIT: "60000",
    // As `npm start` and the Dockerfile run it (see docs/operating.md, Memory).
    GLIBC_TUNABLES: "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=131072",
  };
  const dynamo = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  onCleanup(async () => dynamo.destroy());
  // The issuer creates the table before anything is seeded into it.
  const issuer = await startIssuer(issuerEnv);
  const store = createTokenStore(dynamo, { tableName: "bench-tokens" });
  const jwks = await (await fetch(`${issuer.url}/.well-known/jwks.json`)).text();
  const warmPats = await seedPats(store, 50, "warm");
  for (const pat of warmPats) await exchange(issuer.url, pat);
  return {
    redisUrl: redis.url,
    dynalite,
    issuerEnv,
    dataDir,
    store,
    dynamo,
    table: issuerEnv.PATGATE_TABLE,
    issuer,
    jwks,
    warmPats,
    patCount: 50,
  };
}
