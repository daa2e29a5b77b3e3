// npm run bench [-- --quick] [-- --only warm,verify]: every scenario beside its
// ceiling and the peers a user would otherwise pick, measured in the same run
// on this machine; one table, and the same as JSON in bench/results/latest.json
// with its growth curves drawn into docs/bench/*.svg. Sections: lib/settings.ts.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeCharts } from "./charts.js";
import { type BenchContext, cleanup, ROOT, startContext } from "./lib/context.js";
import { fullRun, quick, type Section, sections } from "./lib/settings.js";
import { curves, fmt, log, rows, tableText } from "./lib/table.js";
import { attack } from "./sections/attack.js";
import { cluster } from "./sections/cluster.js";
import { cold } from "./sections/cold.js";
import { deny } from "./sections/deny.js";
import { dpop } from "./sections/dpop.js";
import { issuerMemory } from "./sections/issuer-memory.js";
import { minting } from "./sections/minting.js";
import { revocation } from "./sections/revocation.js";
import { route } from "./sections/route.js";
import { statusList } from "./sections/status-list.js";
import { tableSize } from "./sections/table-size.js";
import { verify } from "./sections/verify.js";

/** In run order. */
const RUNNERS: Record<Section, (ctx: BenchContext) => Promise<void>> = {
  warm: minting,
  rss: issuerMemory,
  cold,
  table: tableSize,
  verify,
  dpop,
  deny,
  route,
  revocation,
  cluster,
  attack,
  statuslist: statusList,
};

async function writeResults(seconds: number): Promise<void> {
  await mkdir(join(ROOT, "bench/results"), { recursive: true });
  const cpus = (await readFile("/proc/cpuinfo", "utf8").catch(() => ""))
    .split("\n")
    .filter((l) => l.startsWith("processor")).length;
  const mode = quick ? "quick" : "full";
  const results = {
    date: new Date().toISOString(),
    mode,
    sections: [...sections],
    node: process.version,
    cpus,
    seconds,
    rows,
    curves,
  };
  // Only a full run replaces latest.json (and the charts); a partial one goes beside it.
  const file = fullRun && !quick ? "latest.json" : "partial.json";
  await writeFile(join(ROOT, "bench/results", file), `${JSON.stringify(results, null, 2)}\n`);
  if (file === "latest.json") log(`charts: ${(await writeCharts()).join(", ")}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`${quick ? "quick" : "full"} run: ${[...sections].join(", ")}`);
  const ctx = await startContext();
  for (const [name, run] of Object.entries(RUNNERS) as [Section, (ctx: BenchContext) => Promise<void>][]) {
    if (!sections.has(name)) continue;
    const sectionStart = Date.now();
    await run(ctx);
    log(`section ${name}: ${fmt((Date.now() - sectionStart) / 1000)} s`);
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `\n${tableText()}\n\n${quick ? "quick" : "full"} run, ${fmt(seconds)} s, Node ${process.version}\n`,
  );
  await writeResults(seconds);
}

main()
  .then(cleanup, async (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => setTimeout(() => process.exit(), 500).unref());
