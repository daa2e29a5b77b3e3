// Revocation through Redis Cluster, measured by bench/cluster-propagation.ts
// when that module is present. Its contract: it exports
// `clusterPropagation(ctx: BenchContext): Promise<void>`, starts what it needs
// (registering its cleanups with onCleanup) and reports with addRow (and,
// for a curve, by setting curves.<name>), like every other section here.
import type { BenchContext } from "../lib/context.js";
import { log } from "../lib/table.js";

type ClusterModule = { clusterPropagation?: (ctx: BenchContext) => Promise<void> };

export async function cluster(ctx: BenchContext): Promise<void> {
  // A variable specifier: the module is optional, so its absence is not a compile error.
  const specifier = "../cluster-propagation.js";
  const module = (await import(specifier).catch(() => undefined)) as ClusterModule | undefined;
  if (!module?.clusterPropagation) {
    log("cluster: bench/cluster-propagation.ts is not there yet; skipped");
    return;
  }
  await module.clusterPropagation(ctx);
}
