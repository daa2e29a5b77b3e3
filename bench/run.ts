// npm run bench [-- --quick]: every scenario beside the ceiling it is compared
// to, measured in the same run on this machine; one table, and the same as JSON
// in bench/results/latest.json.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createTokenStore, type TokenStore } from "@patgate/issuer";
import { formatPat, hashSecret, newTokenId } from "@patgate/shared";
import { Redis } from "ioredis";
import { freePort } from "../test/harness/free-port.js";
import { startRedisServer } from "../test/harness/redis-server.js";
import { type Child, cpuSecondsOf, rssOf, SERVERS_DIR, startChild } from "./lib/child.js";
import { call, closeAgents, coldOutcome, type FloodTally, latency, runPhase } from "./lib/flood.js";
import { type LoadResult, load } from "./lib/load.js";
import { median, percentile } from "./lib/stats.js";

const quick = process.argv.includes("--quick");
/** `-- --flood`: only the scenario of the issuer under attack. */
const floodOnly = process.argv.includes("--flood");
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const settings = quick
  ? {
      seconds: 2,
      sustainSeconds: 8,
      coldPats: 120,
      revocations: 40,
      largeTable: 5_000,
      denyEntries: 100_000,
      rounds: 1,
      floodSeconds: 4,
      floodAddresses: 40,
    }
  : {
      seconds: 8,
      sustainSeconds: 60,
      coldPats: 300,
      revocations: 250,
      largeTable: 100_000,
      denyEntries: 100_000,
      rounds: 3,
      floodSeconds: 15,
      floodAddresses: 100,
    };

/** One row of the table. `ratio` is ours / ceiling (or as the target states it). */
interface Row {
  readonly scenario: string;
  readonly ours: string;
  readonly ceiling: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean | null;
  readonly data: Record<string, number>;
}
const rows: Row[] = [];
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

const cleanups: (() => Promise<unknown>)[] = [];
async function cleanup(): Promise<void> {
  for (const step of cleanups.reverse()) await step().catch(() => {});
}

function server(name: string): string {
  return join(SERVERS_DIR, `${name}.js`);
}

/** Spawns the real issuer (`patgate serve`) and waits for /healthz. */
async function startIssuer(env: Record<string, string>): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "packages/issuer/dist/cli/bin.js"), "serve"], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const url = `http://127.0.0.1:${port}`;
  cleanups.push(async () => {
    child.kill("SIGTERM");
  });
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
async function exchange(url: string, pat: string, audience?: string): Promise<string> {
  const response = await fetch(`${url}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${pat}` },
    ...(audience === undefined ? {} : { body: new URLSearchParams({ audience }) }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`exchange failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Registers `count` PATs sharing one secret (one scrypt hash, real parameters), `concurrency` at a time. */
async function seedPats(store: TokenStore, count: number, owner: string): Promise<string[]> {
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

function row(
  scenario: string,
  ours: string,
  ceiling: string,
  ratio: number,
  ratioText: string,
  target: string,
  met: boolean | null,
  data: Record<string, number>,
): void {
  rows.push({ scenario, ours, ceiling, ratio: Number.isFinite(ratio) ? ratioText : "—", target, met, data });
  log(`${scenario}: ${ours} vs ${ceiling} (${ratioText}; target ${target})`);
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`${quick ? "quick" : "full"} run`);
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const dynalite = await startChild(server("dynalite"));
  cleanups.push(() => dynalite.stop());
  const dynamoEndpoint = `http://127.0.0.1:${dynalite.ready.port}`;
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-bench-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
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
    // As `npm start` and the Dockerfile run it (see the README's operator notes on memory).
    GLIBC_TUNABLES: "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=131072",
  };
  const dynamo = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  cleanups.push(async () => dynamo.destroy());
  // The issuer creates the table: a first one, for a flood-only run, is started now.
  const issuer = await startIssuer(floodOnly ? { ...issuerEnv, PATGATE_WORKER: "off" } : issuerEnv);
  const store = createTokenStore(dynamo, { tableName: "bench-tokens" });
  if (floodOnly) {
    issuer.process.kill("SIGTERM");
    await underAttack(issuerEnv, store, dynalite.process.pid as number);
    printTable((Date.now() - started) / 1000);
    return;
  }
  const jwks = await (await fetch(`${issuer.url}/.well-known/jwks.json`)).text();

  // --- warm /token -----------------------------------------------------------------------------------------
  const warmPats = await seedPats(store, 50, "warm");
  for (const pat of warmPats) await exchange(issuer.url, pat);
  const warmHeaders = warmPats.map((pat) => ({ authorization: `Bearer ${pat}` }));
  const signOnly = await startChild(server("sign-only"), { args: [join(dataDir, "signing-keys.json"), issuer.url] });
  cleanups.push(() => signOnly.stop());
  const signUrl = `http://127.0.0.1:${signOnly.ready.port}/token`;
  const [signCeiling, warm] = await alternate(
    (durationSeconds) =>
      load({ url: signUrl, method: "POST", durationSeconds, headers: warmHeaders, serverPid: pidOf(signOnly) }),
    (durationSeconds) =>
      load({
        url: `${issuer.url}/token`,
        method: "POST",
        durationSeconds,
        headers: warmHeaders,
        serverPid: issuer.process.pid as number,
      }),
  );
  await signOnly.stop();
  if (warm.non2xx > 0 || warm.errors > 0) throw new Error(`warm /token: ${warm.non2xx} non-2xx, ${warm.errors} errors`);
  const warmRatio = warm.requestsPerSecond / signCeiling.requestsPerSecond;
  const warmCpuRatio = warm.perServerCpuSecond / signCeiling.perServerCpuSecond;
  row(
    "warm `/token` (50 PATs re-exchanged)",
    `${fmt(warm.requestsPerSecond)} req/s (p99 ${fmt(warm.p99Ms)} ms); ${fmt(warm.perServerCpuSecond)} per issuer CPU-s`,
    `${fmt(signCeiling.requestsPerSecond)} req/s; ${fmt(signCeiling.perServerCpuSecond)} per CPU-s, sign-only route`,
    warmCpuRatio,
    `${fmt(warmCpuRatio, 2)} by CPU (${fmt(warmRatio, 2)} by wall clock)`,
    "≥ 0.70",
    warmCpuRatio >= 0.7,
    {
      rps: warm.requestsPerSecond,
      ceilingRps: signCeiling.requestsPerSecond,
      perCpuSecond: warm.perServerCpuSecond,
      ceilingPerCpuSecond: signCeiling.perServerCpuSecond,
      p99Ms: warm.p99Ms,
    },
  );

  // --- issuer under sustained warm load: RSS -----------------------------------------------------------------
  const pid = issuer.process.pid as number;
  const samples: number[] = [];
  const sampler = setInterval(() => void rssOf(pid).then((rss) => samples.push(rss)), 1000);
  await load({
    url: `${issuer.url}/token`,
    method: "POST",
    durationSeconds: settings.sustainSeconds,
    headers: warmHeaders,
  });
  clearInterval(sampler);
  // The heap saws up and down with V8's major collections (±40 MB here); a leak shows as a rising floor,
  // so growth compares the lowest RSS of the first and the last third.
  const third = Math.max(1, Math.floor(samples.length / 3));
  const firstRss = Math.min(...samples.slice(0, third));
  const lastRss = Math.min(...samples.slice(-third));
  const maxRss = Math.max(...samples);
  const growth = (lastRss - firstRss) / firstRss;
  const mb = (bytes: number) => fmt(bytes / 2 ** 20);
  row(
    `issuer RSS under ${settings.sustainSeconds} s of warm load`,
    `max ${mb(maxRss)} MB; floor ${mb(firstRss)} → ${mb(lastRss)} MB (${growth >= 0 ? "+" : ""}${fmt(growth * 100, 1)} %)`,
    "—",
    Number.NaN,
    "—",
    "≤ 250 MB, no growth (floor ≤ +5 %)",
    maxRss <= 250 * 2 ** 20 && growth <= 0.05,
    { maxRssBytes: maxRss, firstRssBytes: firstRss, lastRssBytes: lastRss },
  );

  // --- cold /token ----------------------------------------------------------------------------------------
  // Alternating rounds as for the warm figure: scrypt alone for a while, then a fresh batch of PATs each once.
  const coldPats: string[] = [];
  let scryptCeiling = 0;
  let scryptCpuMs = Number.POSITIVE_INFINITY;
  let scryptPhc = "";
  let cold: LoadResult | undefined;
  // Where the CPU went (the thriftiest round): the issuer's event loop, its thread pool (scrypt), the store.
  let coldCpu = { loopMs: 0, poolMs: 0, storeCores: 0 };
  const issuerPid = issuer.process.pid as number;
  const dynalitePid = dynalite.process.pid as number;
  for (let round = 0; round < settings.rounds; round++) {
    const scrypt = await startChild(server("scrypt-ceiling"), { args: [String(settings.seconds * 1000)] });
    // The best of the rounds on each measure, as `alternate` keeps them.
    scryptCeiling = Math.max(scryptCeiling, scrypt.ready.perSecond as number);
    scryptCpuMs = Math.min(scryptCpuMs, 1000 / (scrypt.ready.perCpuSecond as number));
    scryptPhc = String(scrypt.ready.phc);
    await scrypt.stop();
    const batch = await seedPats(store, settings.coldPats, `cold${round}-`);
    coldPats.push(...batch);
    const before = await Promise.all([
      cpuSecondsOf(issuerPid),
      cpuSecondsOf(issuerPid, issuerPid),
      cpuSecondsOf(dynalitePid),
    ]);
    const started = performance.now();
    const result = await load({
      url: `${issuer.url}/token`,
      method: "POST",
      amount: batch.length,
      connections: 16,
      headers: batch.map((pat) => ({ authorization: `Bearer ${pat}` })),
    });
    const elapsed = (performance.now() - started) / 1000;
    const [total, loop, storeCpu] = (
      await Promise.all([cpuSecondsOf(issuerPid), cpuSecondsOf(issuerPid, issuerPid), cpuSecondsOf(dynalitePid)])
    ).map((after, i) => after - (before[i] as number)) as [number, number, number];
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`cold /token: ${result.non2xx} non-2xx, ${result.errors} errors`);
    if (!cold || result.requestsPerSecond > cold.requestsPerSecond) cold = result;
    const cpu = {
      loopMs: (loop * 1000) / batch.length,
      poolMs: ((total - loop) * 1000) / batch.length,
      storeCores: storeCpu / elapsed,
    };
    if (round === 0 || cpu.loopMs + cpu.poolMs < coldCpu.loopMs + coldCpu.poolMs) coldCpu = cpu;
  }
  if (!cold) throw new Error("cold /token: no round ran");
  const coldRatio = cold.requestsPerSecond / scryptCeiling;
  // By CPU: a scrypt alone against all the issuer spends on one exchange (its thread pool and event loop).
  const coldCpuRatio = scryptCpuMs / (coldCpu.poolMs + coldCpu.loopMs);
  row(
    `cold \`/token\` (${fmt(settings.coldPats)} PATs each once, best of ${settings.rounds})`,
    `${fmt(cold.requestsPerSecond, 1)} req/s; CPU per exchange ${fmt(coldCpu.poolMs, 1)} ms thread pool + ${fmt(coldCpu.loopMs, 1)} ms event loop; store ${fmt(coldCpu.storeCores, 2)} cores`,
    `${fmt(scryptCeiling, 1)} scrypt verifications/s (${scryptPhc}); ${fmt(scryptCpuMs, 1)} ms CPU each`,
    coldCpuRatio,
    `${fmt(coldCpuRatio, 2)} by CPU (${fmt(coldRatio, 2)} by wall clock)`,
    "≥ 0.85",
    coldCpuRatio >= 0.85,
    {
      rps: cold.requestsPerSecond,
      ceilingPerSecond: scryptCeiling,
      ceilingCpuMsPerVerification: scryptCpuMs,
      poolCpuMsPerExchange: coldCpu.poolMs,
      loopCpuMsPerExchange: coldCpu.loopMs,
      storeCores: coldCpu.storeCores,
    },
  );

  // --- exchange latency with a small and a large table -----------------------------------------------------
  // A second issuer on the same table with the PAT cache off, so every exchange reads the table and runs scrypt.
  const uncached = await startIssuer({ ...issuerEnv, PATGATE_PAT_CACHE_TTL: "0", PATGATE_WORKER: "off" });
  const probePats = warmPats.slice(0, 10);
  async function exchangeLatency(): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const start = performance.now();
      await exchange(uncached.url, probePats[i % probePats.length] as string);
      times.push(performance.now() - start);
    }
    return median(times);
  }
  const tokensBefore = 51 + coldPats.length;
  const smallLatency = await exchangeLatency();
  const seedStart = Date.now();
  await seedPats(store, settings.largeTable - tokensBefore, "bulk");
  log(`seeded ${fmt(settings.largeTable - tokensBefore)} PATs in ${fmt((Date.now() - seedStart) / 1000, 1)} s`);
  const largeLatency = await exchangeLatency();
  uncached.process.kill("SIGTERM");
  const growthRatio = largeLatency / smallLatency;
  row(
    `cold exchange latency, ${fmt(settings.largeTable)} vs ${fmt(tokensBefore)} PATs in the table`,
    `${fmt(largeLatency, 1)} ms p50`,
    `${fmt(smallLatency, 1)} ms p50`,
    growthRatio,
    `${fmt(growthRatio, 2)}×`,
    "flat (≈ 1×)",
    null,
    { largeMs: largeLatency, smallMs: smallLatency, largeTable: settings.largeTable, smallTable: tokensBefore },
  );

  // --- verify() microbenchmarks and the 100k deny-list ------------------------------------------------------
  const verifyBench = await startChild(server("verify-bench"), {
    args: [String(quick ? 1000 : 2000), redis.url, String(settings.denyEntries), String(settings.rounds)],
    execArgv: ["--expose-gc"],
    timeoutMs: 300_000,
  });
  const v = verifyBench.ready as Record<string, number>;
  await verifyBench.stop();
  const at = (name: string) => v[name] as number;
  const distinctRatio = at("verifyDistinct") / at("joseDistinct");
  row(
    "`verify()` on distinct tokens",
    `${fmt(at("verifyDistinct"))} /CPU-s`,
    `${fmt(at("joseDistinct"))} /CPU-s jose jwtVerify`,
    distinctRatio,
    fmt(distinctRatio, 2),
    "≥ 0.90",
    distinctRatio >= 0.9,
    { perCpuSecond: at("verifyDistinct"), ceilingPerCpuSecond: at("joseDistinct") },
  );
  const reusedRatio = at("verifyReused") / at("joseReused");
  row(
    "`verify()` on a reused token",
    `${fmt(at("verifyReused"))} /CPU-s`,
    `${fmt(at("joseReused"))} /CPU-s jose jwtVerify`,
    reusedRatio,
    `${fmt(reusedRatio, 1)}×`,
    "≥ 20×",
    reusedRatio >= 20,
    { perCpuSecond: at("verifyReused"), ceilingPerCpuSecond: at("joseReused") },
  );
  const denyCost = Math.max(at("reusedNoDeny") / at("reusedDeny"), at("distinctNoDeny") / at("distinctDeny"));
  const denyMb = at("denyHeapBytes") / 2 ** 20;
  row(
    `verifier with ${fmt(at("denyCount"))} deny-list entries`,
    `${fmt(at("reusedDeny"))} /CPU-s reused, ${fmt(at("distinctDeny"))} /CPU-s distinct; +${fmt(denyMb, 1)} MB heap; ${fmt(at("denyUs"), 2)} µs/verify`,
    `${fmt(at("reusedNoDeny"))} /CPU-s, ${fmt(at("distinctNoDeny"))} /CPU-s with none; ${fmt(at("noDenyUs"), 2)} µs/verify`,
    denyCost,
    `${fmt(denyCost, 2)}× cost`,
    "≤ 1.1× cost, ≤ 50 MB",
    denyCost <= 1.1 && denyMb <= 50,
    {
      reusedPerCpuSecond: at("reusedDeny"),
      reusedNoDenyPerCpuSecond: at("reusedNoDeny"),
      distinctPerCpuSecond: at("distinctDeny"),
      distinctNoDenyPerCpuSecond: at("distinctNoDeny"),
      heapBytes: at("denyHeapBytes"),
      latencyUs: at("denyUs"),
      noDenyLatencyUs: at("noDenyUs"),
    },
  );

  // --- protected Fastify route ----------------------------------------------------------------------------
  const jwt = await exchange(issuer.url, warmPats[0] as string);
  const auth = { authorization: `Bearer ${jwt}` };
  const bare = await startChild(server("resource"), { args: ["bare"] });
  cleanups.push(() => bare.stop());
  const guarded = await startChild(server("resource"), { args: ["protected", issuer.url, jwks] });
  cleanups.push(() => guarded.stop());
  const [bareLoad, guardedLoad] = await alternate(
    (durationSeconds) =>
      load({
        url: `http://127.0.0.1:${bare.ready.port}/resource`,
        durationSeconds,
        headers: auth,
        serverPid: pidOf(bare),
      }),
    (durationSeconds) =>
      load({
        url: `http://127.0.0.1:${guarded.ready.port}/resource`,
        durationSeconds,
        headers: auth,
        serverPid: pidOf(guarded),
      }),
  );
  await Promise.all([bare.stop(), guarded.stop()]);
  if (guardedLoad.non2xx > 0) throw new Error(`protected route: ${guardedLoad.non2xx} non-2xx`);
  const routeRatio = guardedLoad.requestsPerSecond / bareLoad.requestsPerSecond;
  const routeCpuRatio = guardedLoad.perServerCpuSecond / bareLoad.perServerCpuSecond;
  row(
    "protected Fastify route, reused token",
    `${fmt(guardedLoad.requestsPerSecond)} req/s; ${fmt(guardedLoad.perServerCpuSecond)} per CPU-s`,
    `${fmt(bareLoad.requestsPerSecond)} req/s; ${fmt(bareLoad.perServerCpuSecond)} per CPU-s, bare route`,
    routeCpuRatio,
    `${fmt(routeCpuRatio, 2)} by CPU (${fmt(routeRatio, 2)} by wall clock)`,
    "≥ 0.80",
    routeCpuRatio >= 0.8,
    {
      rps: guardedLoad.requestsPerSecond,
      ceilingRps: bareLoad.requestsPerSecond,
      perCpuSecond: guardedLoad.perServerCpuSecond,
      ceilingPerCpuSecond: bareLoad.perServerCpuSecond,
    },
  );

  // --- revocation: admin response -> rejected by all of 4 verifier processes -------------------------------
  const followers: Child[] = [];
  for (let i = 0; i < 4; i++) {
    const follower = await startChild(server("follower"), { args: [redis.url, issuer.url, jwks, "bench"] });
    cleanups.push(() => follower.stop());
    followers.push(follower);
  }
  /** Resolves with the arrival time (performance.now) of `kind` from every follower. */
  function allReport(kind: "denied" | "published" | "watching"): Promise<number> {
    return new Promise((resolve, reject) => {
      let left = followers.length;
      const timer = setTimeout(() => reject(new Error(`followers did not all report ${kind}`)), 10_000);
      for (const follower of followers) {
        const onMessage = (message: Record<string, unknown>) => {
          if (!message[kind]) return;
          follower.process.off("message", onMessage);
          left -= 1;
          if (left === 0) {
            clearTimeout(timer);
            resolve(performance.now());
          }
        };
        follower.process.on("message", onMessage);
      }
    });
  }
  const [adminPat] = await seedAdmin(store);
  const adminJwt = await exchange(issuer.url, adminPat, "patgate-admin");
  const afterResponse: number[] = [];
  const afterRequest: number[] = [];
  let pending = 0;
  for (let i = 0; i < settings.revocations; i++) {
    const target = await exchange(issuer.url, warmPats[i % warmPats.length] as string);
    const watching = allReport("watching");
    for (const follower of followers) follower.send({ watch: target });
    await watching;
    const jti = JSON.parse(Buffer.from(target.split(".")[1] as string, "base64url").toString()).jti as string;
    const denied = allReport("denied");
    const sent = performance.now();
    const response = await fetch(`${issuer.url}/admin/jwts/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminJwt}`, "content-type": "application/json" },
      body: JSON.stringify({ jti }),
    });
    const answered = performance.now();
    const body = (await response.json()) as { propagation?: string };
    if (response.status !== 200) throw new Error(`revoke answered ${response.status}: ${JSON.stringify(body)}`);
    if (body.propagation !== "confirmed") pending += 1;
    const all = await denied;
    afterResponse.push(Math.max(0, all - answered));
    afterRequest.push(all - sent);
  }
  const pubsub: number[] = [];
  const publisher = new Redis(redis.url);
  cleanups.push(async () => publisher.disconnect());
  for (let i = 0; i < settings.revocations; i++) {
    const received = allReport("published");
    const sent = performance.now();
    await publisher.publish("bench", String(i));
    pubsub.push((await received) - sent);
  }
  const p = (xs: number[], q: number) => percentile(xs, q);
  const revP50 = p(afterResponse, 50);
  const revP99 = p(afterResponse, 99);
  row(
    `revocation: admin response → rejected by all 4 verifiers (${settings.revocations} revocations)`,
    `p50 ${fmt(revP50, 2)} ms, p99 ${fmt(revP99, 2)} ms (from the request: p50 ${fmt(p(afterRequest, 50), 2)}, p99 ${fmt(p(afterRequest, 99), 2)})`,
    `Redis publish → all 4: p50 ${fmt(p(pubsub, 50), 2)} ms, p99 ${fmt(p(pubsub, 99), 2)} ms`,
    p(afterRequest, 50) / p(pubsub, 50),
    `${fmt(p(afterRequest, 50) / p(pubsub, 50), 1)}× (request → all, p50)`,
    "p50 ≤ 5 ms, p99 ≤ 25 ms",
    revP50 <= 5 && revP99 <= 25 && pending === 0,
    {
      p50Ms: revP50,
      p99Ms: revP99,
      fromRequestP50Ms: p(afterRequest, 50),
      fromRequestP99Ms: p(afterRequest, 99),
      pubsubP50Ms: p(pubsub, 50),
      pubsubP99Ms: p(pubsub, 99),
      pending,
    },
  );

  await underAttack(issuerEnv, store, dynalitePid);

  const seconds = (Date.now() - started) / 1000;
  printTable(seconds);
  await mkdir(join(ROOT, "bench/results"), { recursive: true });
  const node = process.version;
  const cpus = (await readFile("/proc/cpuinfo", "utf8").catch(() => ""))
    .split("\n")
    .filter((l) => l.startsWith("processor")).length;
  await writeFile(
    join(ROOT, "bench/results/latest.json"),
    `${JSON.stringify({ date: new Date().toISOString(), mode: quick ? "quick" : "full", node, cpus, seconds, rows }, null, 2)}\n`,
  );
}

/** A counter of the issuer's `/metrics`, summed over its labels. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(name)) sum += Number(line.split(" ").at(-1));
  return sum;
}

function tallyText(tally: FloodTally): string {
  return [...tally.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${fmt(count)}× ${status === 0 ? "hung" : status}`)
    .join(", ");
}

/**
 * The issuer under attack: its default limits (per-IP requests, cold exchanges
 * per address, the scrypt queue), a legitimate client at 127.0.0.200 doing warm
 * exchanges (every 20 ms), JWKS fetches (every 50 ms) and cold exchanges
 * (every second), first alone, then beside a forged-PAT flood from one
 * address (8 senders), then beside one from many addresses. Each flooding
 * sender goes as fast as its limits allow: back to back, waiting only what
 * `Retry-After` says.
 */
async function underAttack(issuerEnv: Record<string, string>, store: TokenStore, storePid: number): Promise<void> {
  const { PATGATE_RATE_LIMIT: _requests, PATGATE_COLD_EXCHANGES_PER_MINUTE: _cold, ...defaults } = issuerEnv;
  const target = await startIssuer({
    ...defaults,
    PATGATE_WORKER: "off",
    ...(process.env.PATGATE_SCRYPT_CONCURRENCY
      ? { PATGATE_SCRYPT_CONCURRENCY: process.env.PATGATE_SCRYPT_CONCURRENCY }
      : {}),
  });
  const clientAddress = "127.0.0.200";
  const [warmPat] = await seedPats(store, 1, "attack-warm");
  const coldPats = await seedPats(store, settings.floodSeconds * 3 + 10, "attack-cold");
  const warmUp = await call(`${target.url}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${warmPat}` },
    localAddress: clientAddress,
  });
  if (warmUp.status !== 200) throw new Error(`under attack: the warm PAT did not exchange (${warmUp.status})`);
  // A first, unmeasured second of the legitimate traffic: JIT, connections, caches.
  await runPhase({ url: target.url, seconds: 1, clientAddress, warmPat: warmPat as string, coldPats });
  const addresses = Array.from({ length: settings.floodAddresses }, (_, i) => `127.0.0.${i + 2}`);
  const phases = [
    { name: "no flood", attackers: [] as string[], lanes: 1 },
    { name: "one address floods (8 senders)", attackers: ["127.0.0.2"], lanes: 8 },
    { name: `${settings.floodAddresses} addresses flood`, attackers: addresses, lanes: 1 },
  ];
  const results = [];
  const pid = target.process.pid as number;
  const cpu = () => Promise.all([cpuSecondsOf(pid, pid), cpuSecondsOf(pid), cpuSecondsOf(storePid)]);
  for (const phase of phases) {
    const cpuBefore = await cpu();
    const shedBefore = await metric(target.url, "patgate_scrypt_shed_total"); // also starts a loop-delay window
    const { measured, flood, benchLoopMaxMs } = await runPhase({
      url: target.url,
      seconds: settings.floodSeconds,
      clientAddress,
      warmPat: warmPat as string,
      coldPats,
      ...(phase.attackers.length > 0
        ? {
            attack: async () => {
              const flooder = await startChild(server("flooder"), {
                args: [target.url, String(settings.floodSeconds), String(phase.lanes), ...phase.attackers],
              });
              cleanups.push(() => flooder.stop());
              const [message] = (await once(flooder.process, "message")) as [{ tally: [number, number][] }];
              return new Map(message.tally);
            },
          }
        : {}),
    });
    // Read first: every scrape starts a new window of the loop-delay gauges.
    const loopMaxMs = (await metric(target.url, "nodejs_eventloop_delay_max_seconds")) * 1000;
    const shed = (await metric(target.url, "patgate_scrypt_shed_total")) - shedBefore;
    const [loopCpu, issuerCpu, storeCpu] = (await cpu()).map(
      (after, i) => (after - (cpuBefore[i] as number)) / settings.floodSeconds,
    );
    log(
      `under attack, ${phase.name}: cores used: issuer event loop ${fmt(loopCpu as number, 2)}, issuer threads ${fmt((issuerCpu as number) - (loopCpu as number), 2)}, store ${fmt(storeCpu as number, 2)}`,
    );
    log(
      `under attack, ${phase.name}: flood ${tallyText(flood) || "none"}; ${fmt(shed)} scrypt checks shed; event loop delayed at most ${fmt(loopMaxMs, 1)} ms in the issuer, ${fmt(benchLoopMaxMs, 1)} ms in the bench`,
    );
    results.push({ phase, measured, flood, shed });
  }
  closeAgents();
  target.process.kill("SIGTERM");

  const [baseline, ...floods] = results;
  if (!baseline) return;
  const base = {
    warm: latency(baseline.measured.warm),
    jwks: latency(baseline.measured.jwks),
    cold: coldOutcome(baseline.measured.cold),
  };
  for (const { phase, measured, flood, shed } of floods) {
    const warm = latency(measured.warm);
    const jwks = latency(measured.jwks);
    const cold = coldOutcome(measured.cold);
    const hung = [...measured.warm, ...measured.jwks, ...measured.cold].filter((c) => c.status === 0).length;
    const warmFailed = measured.warm.filter((c) => c.status !== 200).length;
    const floodText = `flood: ${tallyText(flood)}; ${fmt(shed)} shed`;
    row(
      `under attack, ${phase.name}: warm \`/token\``,
      `p50 ${fmt(warm.p50, 1)} ms, p99 ${fmt(warm.p99, 1)} ms (${fmt(measured.warm.length)} calls, ${warmFailed} not 200); ${floodText}`,
      `no flood: p50 ${fmt(base.warm.p50, 1)} ms, p99 ${fmt(base.warm.p99, 1)} ms`,
      warm.p99 / base.warm.p99,
      `${fmt(warm.p99 / base.warm.p99, 1)}× p99`,
      "p99 ≤ 50 ms, all 200",
      warm.p99 <= 50 && warmFailed === 0,
      { p50Ms: warm.p50, p99Ms: warm.p99, baseP50Ms: base.warm.p50, baseP99Ms: base.warm.p99, failed: warmFailed },
    );
    row(
      `under attack, ${phase.name}: JWKS`,
      `p50 ${fmt(jwks.p50, 1)} ms, p99 ${fmt(jwks.p99, 1)} ms (${fmt(measured.jwks.length)} calls)`,
      `no flood: p50 ${fmt(base.jwks.p50, 1)} ms, p99 ${fmt(base.jwks.p99, 1)} ms`,
      jwks.p99 / base.jwks.p99,
      `${fmt(jwks.p99 / base.jwks.p99, 1)}× p99`,
      "p99 ≤ 20 ms",
      jwks.p99 <= 20,
      { p50Ms: jwks.p50, p99Ms: jwks.p99, baseP50Ms: base.jwks.p50, baseP99Ms: base.jwks.p99 },
    );
    row(
      `under attack, ${phase.name}: legitimate cold \`/token\``,
      [
        `${cold.served} served${cold.served ? ` (p99 ${fmt(cold.servedP99, 0)} ms)` : ""}`,
        `${cold.shed} shed with 503 + Retry-After${cold.shed ? ` (slowest ${fmt(cold.shedMax, 0)} ms)` : ""}`,
        `${cold.bad} neither`,
        `${hung} calls hung (of any kind)`,
      ].join(", "),
      `no flood: ${base.cold.served} served (p99 ${fmt(base.cold.servedP99, 0)} ms)`,
      Number.NaN,
      "—",
      "served ≤ 2 s or a 503 with Retry-After ≤ 1.5 s; nothing hangs",
      cold.bad === 0 && hung === 0,
      {
        served: cold.served,
        servedP99Ms: cold.servedP99,
        shed: cold.shed,
        shedMaxMs: cold.shedMax,
        bad: cold.bad,
        hung,
      },
    );
  }
}

/**
 * Measures a ceiling and our figure in alternating rounds (after a 1 s warm-up
 * of each) and keeps the best round of each, so a noisy moment on a shared
 * machine hurts neither side alone.
 */
async function alternate(
  ceiling: (seconds: number) => Promise<LoadResult>,
  ours: (seconds: number) => Promise<LoadResult>,
): Promise<[LoadResult, LoadResult]> {
  await ceiling(1);
  await ours(1);
  const ceilings: LoadResult[] = [];
  const ourRuns: LoadResult[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    ceilings.push(await ceiling(settings.seconds));
    ourRuns.push(await ours(settings.seconds));
  }
  return [bestOf(ceilings), bestOf(ourRuns)];
}

/** The run with the highest throughput, carrying the best CPU efficiency of all runs. */
function bestOf(runs: readonly LoadResult[]): LoadResult {
  const fastest = runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  return { ...fastest, perServerCpuSecond: Math.max(...runs.map((r) => r.perServerCpuSecond)) };
}

function pidOf(child: Child): number {
  return child.process.pid as number;
}

async function seedAdmin(store: TokenStore): Promise<[string]> {
  const { token } = await store.issue({ owner: "bench-admin", isAdmin: true, roles: ["admin"] });
  return [token];
}

function printTable(seconds: number): void {
  const header = ["scenario", "ours", "ceiling (same run)", "ratio", "target", "met"];
  const lines = rows.map((r) => [
    r.scenario,
    r.ours,
    r.ceiling,
    r.ratio,
    r.target,
    r.met === null ? "—" : r.met ? "yes" : "NO",
  ]);
  const out = [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...lines.map((cells) => `| ${cells.join(" | ")} |`),
  ];
  process.stdout.write(
    `\n${out.join("\n")}\n\n${quick ? "quick" : "full"} run, ${fmt(seconds)} s, Node ${process.version}\n`,
  );
}

main()
  .then(cleanup, async (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(), 500).unref());
