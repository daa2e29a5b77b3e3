// The growth curves of bench/results/latest.json as plain SVG line charts
// (docs/bench/*.svg, beside the Performance table in docs/performance.md). Run by
// `npm run bench`, or alone: node bench/dist/bench/charts.js
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./lib/context.js";

interface Series {
  readonly name: string;
  readonly values: readonly number[];
  readonly color: string;
}
interface Chart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xTicks: readonly string[];
  readonly series: readonly Series[];
  readonly target?: { readonly value: number; readonly label: string };
}

const W = 640;
const H = 360;
const M = { left: 70, right: 150, top: 40, bottom: 56 };
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const num = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: n < 10 ? 2 : 0 });

/** A "nice" top of the y axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceTop(max: number): number {
  const power = 10 ** Math.floor(Math.log10(max || 1));
  return ([1, 2, 5, 10].map((m) => m * power).find((v) => v >= max) ?? 10 * power) as number;
}

/** One chart: categorical x (the sizes measured, evenly spaced), linear y from 0. */
export function lineChart(chart: Chart): string {
  const all = [...chart.series.flatMap((s) => s.values), chart.target?.value ?? 0].filter(Number.isFinite);
  const top = niceTop(Math.max(...all) * 1.05);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const n = chart.xTicks.length;
  const x = (i: number) => M.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(chart.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${num(v)}</text>`);
  }
  chart.xTicks.forEach((label, i) => {
    out.push(`<text x="${x(i)}" y="${M.top + plotH + 18}" text-anchor="middle">${esc(label)}</text>`);
  });
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 12}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  out.push(
    `<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  if (chart.target) {
    const ty = y(chart.target.value);
    out.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${ty}" y2="${ty}" stroke="#c00" stroke-dasharray="6 4"/>`,
    );
    out.push(`<text x="${M.left + plotW + 6}" y="${ty + 4}" fill="#c00">${esc(chart.target.label)}</text>`);
  }
  chart.series.forEach((s, k) => {
    const points = s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
    out.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const [i, v] of s.values.entries()) out.push(`<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${s.color}"/>`);
    const ly = M.top + 14 + k * 18;
    out.push(`<rect x="${M.left + plotW + 10}" y="${ly - 9}" width="12" height="3" fill="${s.color}"/>`);
    out.push(`<text x="${M.left + plotW + 28}" y="${ly - 4}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

type Point = Record<string, number>;
const short = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const col = (points: readonly Point[], key: string) => points.map((p) => p[key] as number);

/** The charts drawn from the curves a run recorded (a curve not measured draws no chart). */
export function chartsOf(curves: Readonly<Record<string, readonly Point[]>>): Record<string, string> {
  const charts: Record<string, string> = {};
  const table = curves.tableSize;
  if (table?.length)
    charts["table-size.svg"] = lineChart({
      title: "Cold exchange latency by token-table size (PAT cache off)",
      xLabel: "PATs in the table",
      yLabel: "ms",
      xTicks: table.map((p) => short(p.pats as number)),
      series: [
        { name: "p50", values: col(table, "p50Ms"), color: "#1f77b4" },
        { name: "p99", values: col(table, "p99Ms"), color: "#ff7f0e" },
      ],
    });
  const deny = curves.denyList;
  if (deny?.length) {
    const xTicks = deny.map((p) => short(p.entries as number));
    charts["deny-list-cost.svg"] = lineChart({
      title: "verify() per CPU-second by deny-list size (EdDSA)",
      xLabel: "deny-list entries",
      yLabel: "thousand verifications per CPU-s",
      xTicks,
      series: [
        { name: "reused token", values: col(deny, "reusedPerCpuSecond").map((v) => v / 1000), color: "#1f77b4" },
        { name: "distinct tokens", values: col(deny, "distinctPerCpuSecond").map((v) => v / 1000), color: "#ff7f0e" },
      ],
    });
    charts["deny-list-heap.svg"] = lineChart({
      title: "Verifier heap by deny-list size",
      xLabel: "deny-list entries",
      yLabel: "MB (heap after loading the snapshot)",
      xTicks,
      series: [{ name: "heap", values: col(deny, "heapMb"), color: "#2ca02c" }],
    });
  }
  const revocation = curves.revocation;
  if (revocation?.length)
    charts["revocation.svg"] = lineChart({
      title: "Revocation: admin request → rejected by every follower",
      xLabel: "followers",
      yLabel: "ms",
      xTicks: revocation.map((p) => String(p.followers)),
      target: { value: 25, label: "target p99" },
      series: [
        { name: "p50", values: col(revocation, "p50Ms"), color: "#1f77b4" },
        { name: "p99", values: col(revocation, "p99Ms"), color: "#ff7f0e" },
        { name: "pub/sub p99", values: col(revocation, "pubsubP99Ms"), color: "#7f7f7f" },
      ],
    });
  return charts;
}

/** Writes the charts of a results file into docs/bench; returns the paths written. */
export async function writeCharts(resultsPath = join(ROOT, "bench/results/latest.json")): Promise<string[]> {
  const { curves = {} } = JSON.parse(await readFile(resultsPath, "utf8")) as { curves?: Record<string, Point[]> };
  const dir = join(ROOT, "docs/bench");
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, svg] of Object.entries(chartsOf(curves))) {
    await writeFile(join(dir, name), svg);
    written.push(join("docs/bench", name));
  }
  return written;
}

if (process.argv[1]?.endsWith("charts.js")) {
  const paths = await writeCharts(process.argv[2]);
  process.stdout.write(`${paths.join("\n")}\n`);
}
