// `node bench/dist/bench/cluster-propagation-run.js [revocations]`: the
// cluster-propagation figures alone (after `npm run build && tsc -p bench`).
import { measureClusterPropagation } from "./cluster-propagation.js";

const revocations = Number(process.argv[2] ?? 40);
const result = await measureClusterPropagation(revocations);
const line = (name: string, s: { p50: number; p99: number; samples: number }, unit = "revocations") =>
  `${name.padEnd(34)} p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${s.samples} ${unit})`;
process.stdout.write(
  `${[
    "revocation: admin request → rejected by all 3 verifiers",
    line("  one Redis", result.single),
    line("  Redis Cluster (primary reads)", result.cluster),
    line("  Redis Cluster (replica reads)", result.clusterReplicas),
    "stream: XADD on the primary → blocked XREAD answers",
    line("  on the primary", result.streamRead.primary, "events"),
    line("  on its replica", result.streamRead.replica, "events"),
  ].join("\n")}\n`,
);
process.exit(0);
