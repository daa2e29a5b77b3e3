// verify() cost and heap with 0 / 10k / 100k / 1M deny-list entries, a curve
// rather than one point (bench/servers/deny-bench.ts does the measuring).
import { startChild } from "../lib/child.js";
import { type BenchContext, server } from "../lib/context.js";
import { ratioSpread, spreadOf } from "../lib/rounds.js";
import { settings } from "../lib/settings.js";
import { addRow, atMost, curves, fmt, log, spreadText, worst } from "../lib/table.js";

interface Point {
  readonly entries: number;
  readonly heapBytes: number;
  readonly loadMs: number;
  readonly distinct: number[];
  readonly reused: number[];
}

export async function deny(ctx: BenchContext): Promise<void> {
  const child = await startChild(server("deny-bench"), {
    args: [String(settings.microMs), ctx.redisUrl, settings.denyCounts.join(","), String(settings.rounds)],
    execArgv: ["--expose-gc", "--max-old-space-size=4096"],
  });
  const points: Point[] = [];
  let failure = "";
  await new Promise<void>((resolve) => {
    const onExit = (code: number | null) => {
      failure = `the measuring process exited (${code}) after ${points.length} sizes`;
      resolve();
    };
    child.process.on("message", (message: { point?: Point; done?: boolean }) => {
      if (message.point) {
        points.push(message.point);
        log(`deny-list ${fmt(message.point.entries)} entries: loaded in ${fmt(message.point.loadMs)} ms`);
      }
      if (message.done) {
        child.process.off("exit", onExit);
        resolve();
      }
    });
    child.process.once("exit", onExit);
  });
  await child.stop();
  const [base] = points;
  if (!base) throw new Error(`deny-list curve: ${failure}`);
  curves.denyList = points.map((p) => ({
    entries: p.entries,
    reusedPerCpuSecond: spreadOf(p.reused).median,
    distinctPerCpuSecond: spreadOf(p.distinct).median,
    heapMb: p.heapBytes / 2 ** 20,
    loadMs: p.loadMs,
  }));
  for (const point of points.slice(1)) {
    // Cost is the inverse of throughput: none-entries figure over this one, round by round.
    const reusedCost = ratioSpread(base.reused, point.reused);
    const distinctCost = ratioSpread(base.distinct, point.distinct);
    const heapMb = (point.heapBytes - base.heapBytes) / 2 ** 20;
    const perEntryLimit = point.entries >= 1_000_000 ? 100 : 50;
    addRow({
      scenario: `verifier with ${fmt(point.entries)} deny-list entries`,
      ours: `${spreadText(spreadOf(point.reused), 0)} /CPU-s reused, ${spreadText(spreadOf(point.distinct), 0)} distinct; +${fmt(heapMb, 1)} MB heap and array buffers; snapshot loaded in ${fmt(point.loadMs)} ms`,
      versus: `none: ${fmt(spreadOf(base.reused).median)} reused, ${fmt(spreadOf(base.distinct).median)} distinct`,
      ratio: `${spreadText(reusedCost, 2, "×")} cost reused, ${spreadText(distinctCost, 2, "×")} distinct`,
      target: `≤ 1.1× cost, ≤ ${perEntryLimit} MB`,
      verdict: worst(atMost(reusedCost, 1.1), atMost(distinctCost, 1.1), heapMb <= perEntryLimit ? "met" : "missed"),
      data: { entries: point.entries, reusedCost: reusedCost.median, distinctCost: distinctCost.median, heapMb },
    });
  }
  if (failure) log(`deny-list curve: ${failure}`);
}
