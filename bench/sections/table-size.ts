// Exchange latency as the token table grows (1k, 10k, 100k PATs): an issuer
// with its PAT cache off, so every exchange reads the table and runs scrypt.
import { bulkFill } from "../lib/bulk-fill.js";
import { type BenchContext, exchange, startIssuer } from "../lib/context.js";
import { settings } from "../lib/settings.js";
import { percentile } from "../lib/stats.js";
import { addRow, curves, fmt, log } from "../lib/table.js";

/** The table size the budget cannot reach; its seeding time is estimated from the measured rate. */
const UNREACHED = 1_000_000;

async function latencies(url: string, pats: readonly string[], count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await exchange(url, pats[i % pats.length] as string);
    times.push(performance.now() - start);
  }
  return times;
}

export async function tableSize(ctx: BenchContext): Promise<void> {
  const uncached = await startIssuer({ ...ctx.issuerEnv, PATGATE_PAT_CACHE_TTL: "0", PATGATE_WORKER: "off" });
  const probe = ctx.warmPats.slice(0, 10);
  const points: Record<string, number>[] = [];
  let seededPerSecond = Number.NaN;
  for (const size of settings.tableSizes) {
    const missing = size - ctx.patCount;
    if (missing > 0) {
      const started = performance.now();
      await bulkFill(ctx.dynamo, ctx.table, missing);
      seededPerSecond = missing / ((performance.now() - started) / 1000);
      ctx.patCount = size;
      log(`filled ${fmt(missing)} records at ${fmt(seededPerSecond)}/s`);
    }
    const times = await latencies(uncached.url, probe, 60);
    points.push({ pats: ctx.patCount, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) });
  }
  uncached.process.kill("SIGTERM");
  curves.tableSize = points;
  const first = points[0] as Record<string, number>;
  const last = points.at(-1) as Record<string, number>;
  const growth = (last.p50Ms as number) / (first.p50Ms as number);
  const etaMinutes = (UNREACHED - ctx.patCount) / seededPerSecond / 60;
  addRow({
    scenario: `cold exchange latency by table size (${points.map((p) => fmt(p.pats as number)).join(" / ")} PATs; cache off)`,
    ours: points
      .map((p) => `${fmt(p.pats as number)}: p50 ${fmt(p.p50Ms as number, 1)} ms, p99 ${fmt(p.p99Ms as number, 1)} ms`)
      .join("; "),
    versus: `1M not measured: filling runs at ${fmt(seededPerSecond)} records/s here (25 per batch write), ~${fmt(etaMinutes)} min more`,
    ratio: `${fmt(growth, 2)}× p50, largest vs smallest`,
    target: "flat (≈ 1×)",
    verdict: "info",
    data: { growth, seededPerSecond },
  });
}
