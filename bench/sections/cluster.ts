// Revocation through a Redis Cluster beside one Redis (bench/cluster-propagation.ts
// starts its own store, Redis, six-node cluster and issuer): from the admin
// request until three verifiers reject the JWT, reading the stream from
// primaries and from replicas, and the replica lag of the stream alone.
import { measureClusterPropagation, type PropagationStats } from "../cluster-propagation.js";
import type { BenchContext } from "../lib/context.js";
import { settings } from "../lib/settings.js";
import { addRow, fmt } from "../lib/table.js";

const text = (s: PropagationStats) => `p50 ${fmt(s.p50, 1)} ms, p99 ${fmt(s.p99, 1)} ms`;

export async function cluster(_ctx: BenchContext): Promise<void> {
  const result = await measureClusterPropagation(Math.min(60, settings.revocations));
  const single = text(result.single);
  for (const [scenario, stats] of [
    ["revocation via Redis Cluster, primary reads (3 verifiers)", result.cluster],
    ["revocation via Redis Cluster, replica reads (3 verifiers)", result.clusterReplicas],
  ] as const) {
    addRow({
      scenario,
      ours: text(stats),
      versus: `one Redis: ${single}`,
      ratio: `p99 ${fmt(stats.p99 / result.single.p99, 2)}×`,
      target: "—",
      verdict: "info",
      data: { p50: stats.p50, p99: stats.p99, singleP50: result.single.p50, singleP99: result.single.p99 },
    });
  }
  const { primary, replica } = result.streamRead;
  addRow({
    scenario: "stream event → blocked XREAD on a replica (replica lag)",
    ours: text(replica),
    versus: `on the primary: ${text(primary)}`,
    ratio: `p50 ${fmt(replica.p50 / primary.p50, 2)}×`,
    target: "—",
    verdict: "info",
    data: { p50: replica.p50, p99: replica.p99, primaryP50: primary.p50, primaryP99: primary.p99 },
  });
}
