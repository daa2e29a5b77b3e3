// The Token Status List at 1M PATs (1 % revoked): the size of the signed list,
// the issuer's full and incremental build, and in the verifier the first fetch
// of a list over HTTP and the per-call lookup once it is in memory.

import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BitStore,
  CHUNK_SIZE,
  createListPublisher,
  LIST_SIZE,
  loadSigningKeys,
  mintAccessToken,
} from "@patgate/issuer";
import { createVerifier } from "@patgate/verifier";
import type { BenchContext } from "../lib/context.js";
import { percentile } from "../lib/stats.js";
import { addRow, fmt } from "../lib/table.js";

const PATS = 1_000_000;
const REVOKED = PATS / 100;

/** The status table's contents in memory: the bench measures building and reading lists, not DynamoDB. */
function memoryBits(): BitStore & { count: number } {
  const chunks = new Map<number, Set<number>>();
  const versions = new Map<number, number>();
  const store = {
    count: 0,
    allocate: async () => store.count++,
    allocated: async () => store.count,
    async invalidate(index: number) {
      const chunk = Math.floor((index % LIST_SIZE) / CHUNK_SIZE);
      const set = chunks.get(chunk) ?? new Set<number>();
      set.add(index % CHUNK_SIZE);
      chunks.set(chunk, set);
      versions.set(chunk, (versions.get(chunk) ?? 0) + 1);
    },
    versions: async () => new Map(versions),
    chunks: async (_list: number, wanted: readonly number[]) =>
      new Map(wanted.map((chunk) => [chunk, [...(chunks.get(chunk) ?? [])]] as const)),
  };
  return store;
}

function nsPerCall(call: () => unknown, calls: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) call();
  return Number(process.hrtime.bigint() - start) / calls;
}

async function issuerSide() {
  const keys = await loadSigningKeys({
    path: join(await mkdtemp(join(tmpdir(), "patgate-bench-sl-")), "keys.json"),
    generate: true,
    jwtTtlSeconds: 300,
    publishDelaySeconds: 0,
  });
  const bits = memoryBits();
  bits.count = PATS;
  for (let i = 0; i < REVOKED; i++) await bits.invalidate(Math.floor(Math.random() * PATS));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const publisher = createListPublisher({ bits, keys, issuer, ttlSeconds: 30, checkEveryMs: 0 });
  const started = performance.now();
  const full = await publisher.list(0);
  const fullMs = performance.now() - started;
  const incremental: number[] = [];
  for (let i = 0; i < 20; i++) {
    await bits.invalidate(Math.floor(Math.random() * PATS));
    const at = performance.now();
    await publisher.list(0);
    incremental.push(performance.now() - at);
  }
  server.on("request", (request, response) => {
    if (request.url === "/statuslists/0")
      void publisher.list(0).then((list) => response.setHeader("etag", list?.etag ?? "").end(list?.jwt));
    else response.writeHead(404).end();
  });
  return { keys, publisher, issuer, server, jwtBytes: full?.jwt.length ?? 0, fullMs, incremental };
}

export async function statusList(_ctx: BenchContext): Promise<void> {
  const side = await issuerSide();
  const { keys, issuer } = side;
  const now = () => Math.floor(Date.now() / 1000);
  const base = { issuer, audience: "patgate", jwks: () => keys.publicJwks(now()), logger: false as const };
  const jwt = mintAccessToken(keys, {
    issuer,
    audience: "patgate",
    owner: "bench",
    tokenId: "AAAAAAAAAAAAAAAAAAAAA",
    roles: ["read"],
    ttlSeconds: 300,
    nowMs: Date.now(),
    revision: 1,
    ownerRevision: 0,
    status: side.publisher.claimFor(PATS - 1),
  }).token;
  const plain = createVerifier(base);
  const following = createVerifier({ ...base, statusList: true });
  await plain.verify(jwt);
  const started = performance.now();
  await following.verify(jwt);
  const firstMs = performance.now() - started;
  const calls = 300_000;
  const withoutNs = Math.min(
    nsPerCall(() => plain.verifyCached(jwt), calls),
    nsPerCall(() => plain.verifyCached(jwt), calls),
  );
  const withNs = Math.min(
    nsPerCall(() => following.verifyCached(jwt), calls),
    nsPerCall(() => following.verifyCached(jwt), calls),
  );
  await Promise.all([plain.close(), following.close()]);
  side.server.close();
  addRow({
    scenario: `status list of ${fmt(PATS)} PATs, ${fmt(REVOKED)} revoked (1 %): signed list size, issuer build`,
    ours: `${fmt(side.jwtBytes / 1024, 1)} kB; full build ${fmt(side.fullMs, 1)} ms; after one revocation p50 ${fmt(percentile(side.incremental, 50), 1)} ms`,
    versus: `raw bits ${fmt(LIST_SIZE / 8 / 1024)} kB`,
    ratio: `${fmt(side.jwtBytes / (LIST_SIZE / 8), 3)}× of raw`,
    target: "info",
    verdict: "info",
    data: { jwtBytes: side.jwtBytes, fullMs: side.fullMs, incrementalP50Ms: percentile(side.incremental, 50) },
  });
  addRow({
    scenario: "verifier `statusList`: first fetch (HTTP, verify, inflate 1M-entry list) and per-call lookup",
    ours: `first verify ${fmt(firstMs, 1)} ms; cached verify ${fmt(withNs)} ns/call`,
    versus: `cached verify without statusList ${fmt(withoutNs)} ns/call`,
    ratio: `+${fmt(withNs - withoutNs)} ns/call`,
    target: "info",
    verdict: "info",
    data: { firstMs, withNs, withoutNs },
  });
}
