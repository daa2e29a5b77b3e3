// A DPoP-bound JWT verified with a fresh proof per request beside the same
// verifier's bearer path and the peers that check DPoP (lib/dpop-peers.ts), by CPU.
import { startChild } from "../lib/child.js";
import { server } from "../lib/context.js";
import { ratioSpread, spreadOf } from "../lib/rounds.js";
import { settings } from "../lib/settings.js";
import { addRow, atLeast, atMost, fmt, spreadText, worst } from "../lib/table.js";

type Figures = Record<string, { bearer: number[]; distinct: number[]; reused: number[]; unsupported?: string }>;
const OURS = "patgate";

function peerText(figures: Figures, kind: "distinct" | "reused"): { text: string; best: number[]; name: string } {
  const measured = Object.entries(figures).filter(([name, f]) => name !== OURS && !f.unsupported);
  const skipped = Object.entries(figures)
    .filter(([, f]) => f.unsupported)
    .map(([name, f]) => `${name}: ${f.unsupported}`);
  const text = [...measured.map(([name, f]) => `${name} ${fmt(spreadOf(f[kind]).median)}`), ...skipped].join("; ");
  const rounds = figures[OURS]?.[kind].length ?? 0;
  const best = Array.from({ length: rounds }, (_, i) => Math.max(0, ...measured.map(([, f]) => f[kind][i] ?? 0)));
  const name = measured.reduce<[string, number]>(
    (a, [n, f]) => (spreadOf(f[kind]).median > a[1] ? [n, spreadOf(f[kind]).median] : a),
    ["none", 0],
  )[0];
  return { text, best, name };
}

export async function dpop(): Promise<void> {
  const child = await startChild(server("dpop-verify"), {
    args: [String(settings.microMs), String(settings.rounds)],
    timeoutMs: 600_000,
  });
  const byProofAlg = child.ready.byProofAlg as Record<string, Figures>;
  await child.stop();
  for (const [proofAlg, figures] of Object.entries(byProofAlg)) rowsFor(proofAlg, figures);
}

function rowsFor(proofAlg: string, figures: Figures): void {
  const ours = figures[OURS] ?? { bearer: [], distinct: [], reused: [] };
  for (const kind of ["distinct", "reused"] as const) {
    // Cost ratio: how many bearer verifies one bound verify costs.
    const costRatio = ratioSpread(ours.bearer, ours[kind]);
    const peers = peerText(figures, kind);
    const vsPeer = ratioSpread(ours[kind], peers.best);
    addRow({
      scenario: `\`verifyRequest()\`, a DPoP-bound JWT with a fresh proof per request, ${kind} JWTs (EdDSA JWT, ${proofAlg} proof; per CPU-s)`,
      ours: spreadText(spreadOf(ours[kind]), 0),
      versus: `bearer ${fmt(spreadOf(ours.bearer).median)} (same verifier, distinct JWTs); ${peers.text}`,
      ratio: `${spreadText(costRatio, 2, "×")} the bearer cost; ${spreadText(vsPeer, 2, "×")} the best peer (${peers.name})`,
      target: "≤ 2.2× the bearer cost, ahead of every peer",
      verdict: worst(kind === "distinct" ? atMost(costRatio, 2.2) : "info", atLeast(vsPeer, 1)),
      data: {
        perCpuSecond: spreadOf(ours[kind]).median,
        bearerPerCpuSecond: spreadOf(ours.bearer).median,
        costRatio: costRatio.median,
        vsBestPeer: vsPeer.median,
      },
    });
  }
}
