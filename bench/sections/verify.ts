// verify() per algorithm beside the raw `node:crypto.verify` ceiling and the
// peers a service would otherwise use (see lib/verify-peers.ts), by CPU.
import { startChild } from "../lib/child.js";
import { server } from "../lib/context.js";
import { ratioSpread, type Spread, spreadOf } from "../lib/rounds.js";
import { settings } from "../lib/settings.js";
import { addRow, atLeast, fmt, spreadText, type Verdict, worst } from "../lib/table.js";

type Figures = Record<string, { distinct: number[]; reused: number[]; unsupported?: string }>;
const OURS = "patgate";
const CEILING = "node:crypto.verify";

/** Each peer's median, and our ratio to the best of them (round by round). */
function peers(figures: Figures, kind: "distinct" | "reused") {
  const measured = Object.entries(figures).filter(([name, f]) => name !== OURS && name !== CEILING && !f.unsupported);
  const text = measured.map(([name, f]) => `${name} ${fmt(spreadOf(f[kind]).median)}`);
  const skipped = Object.entries(figures)
    .filter(([, f]) => f.unsupported)
    .map(
      ([name, f]) => `${name}: ${f.unsupported?.startsWith("failed") ? f.unsupported : `cannot (${f.unsupported})`}`,
    );
  const ours = figures[OURS]?.[kind] ?? [];
  const best = ours.map((_, i) => Math.max(...measured.map(([, f]) => f[kind][i] as number)));
  const bestName = measured.reduce(
    (a, b) => (spreadOf(b[1][kind]).median > spreadOf(a[1][kind]).median ? b : a),
    measured[0] as [string, Figures[string]],
  )[0];
  return { text: [...text, ...skipped].join("; "), vsBest: ratioSpread(ours, best), bestName };
}

function distinctRow(alg: string, figures: Figures): void {
  const ours = figures[OURS]?.distinct ?? [];
  const ceiling = figures[CEILING]?.distinct ?? [];
  const vsCeiling = ratioSpread(ours, ceiling);
  const p = peers(figures, "distinct");
  const verdict: Verdict = worst(atLeast(vsCeiling, 0.9), atLeast(p.vsBest, 1));
  addRow({
    scenario: `\`verify()\`, distinct tokens, ${alg} (per CPU-s)`,
    ours: spreadText(spreadOf(ours), 0),
    versus: `${CEILING} ${fmt(spreadOf(ceiling).median)} (ceiling); ${p.text}`,
    ratio: `${spreadText(vsCeiling)} of the ceiling; ${spreadText(p.vsBest, 2, "×")} the best peer (${p.bestName})`,
    target: "≥ 0.90 of the ceiling, ahead of every peer",
    verdict,
    data: {
      perCpuSecond: spreadOf(ours).median,
      ceilingPerCpuSecond: spreadOf(ceiling).median,
      ratio: vsCeiling.median,
      vsBestPeer: p.vsBest.median,
    },
  });
}

function reusedRow(alg: string, figures: Figures): void {
  const ours = figures[OURS]?.reused ?? [];
  const cached = figures["fast-jwt (cache)"]?.reused ?? [];
  const vsCached: Spread = ratioSpread(ours, cached);
  const oursSpread = spreadOf(ours);
  const p = peers(figures, "reused");
  const verdict = worst(atLeast(vsCached, 1), atLeast(oursSpread, 1_000_000));
  addRow({
    scenario: `\`verify()\`, a reused token, ${alg} (a fresh copy of the string per call; per CPU-s)`,
    ours: spreadText(oursSpread, 0),
    versus: p.text,
    ratio: `${spreadText(vsCached, 2, "×")} fast-jwt's cache; ${spreadText(p.vsBest, 2, "×")} the best peer (${p.bestName})`,
    target: "≥ 1.0× fast-jwt (cache), ≥ 1M per CPU-s",
    verdict,
    data: {
      perCpuSecond: oursSpread.median,
      fastJwtCachePerCpuSecond: spreadOf(cached).median,
      ratio: vsCached.median,
    },
  });
}

export async function verify(): Promise<void> {
  const child = await startChild(server("verify-peers"), {
    args: [String(settings.microMs), String(settings.rounds), "EdDSA,ES256,RS256"],
    timeoutMs: 600_000,
  });
  const byAlg = child.ready.byAlg as Record<string, Figures>;
  await child.stop();
  for (const [alg, figures] of Object.entries(byAlg)) {
    distinctRow(alg, figures);
    reusedRow(alg, figures);
  }
}
