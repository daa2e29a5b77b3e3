// The one table `npm run bench` prints: our rows, the ceilings and the peers,
// each ratio with its spread across rounds and a verdict that says so when
// the spread straddles the target.
import type { Spread } from "./rounds.js";

/** met: the whole spread clears the target; missed: none of it does; spread: it straddles the target. */
export type Verdict = "met" | "missed" | "spread" | "info";

export interface Row {
  readonly scenario: string;
  readonly ours: string;
  /** The ceiling or the peer it is compared with, measured in the same run. */
  readonly versus: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
  readonly data: Readonly<Record<string, number | string>>;
}

export const rows: Row[] = [];
/** Growth curves for the charts, by name (see charts.ts). */
export const curves: Record<string, Record<string, number>[]> = {};

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "—";
export const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

/** "0.91 (0.88–0.93)": the median and the range of the rounds. */
export function spreadText(s: Spread, digits = 2, suffix = ""): string {
  if (s.min === s.max) return `${fmt(s.median, digits)}${suffix}`;
  return `${fmt(s.median, digits)}${suffix} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** Verdict of "at least `target`" over a spread of rounds. */
export function atLeast(s: Spread, target: number): Verdict {
  if (s.min >= target) return "met";
  if (s.max < target) return "missed";
  return "spread";
}

/** Verdict of "at most `target`" over a spread of rounds. */
export function atMost(s: Spread, target: number): Verdict {
  if (s.max <= target) return "met";
  if (s.min > target) return "missed";
  return "spread";
}

/** The worse of several verdicts (a row with two targets meets both or not). */
export function worst(...verdicts: Verdict[]): Verdict {
  for (const v of ["missed", "spread", "met"] as const) if (verdicts.includes(v)) return v;
  return "info";
}

export function addRow(row: Row): void {
  rows.push(row);
  log(`${row.scenario}: ${row.ours} vs ${row.versus} (${row.ratio}; target ${row.target}: ${row.verdict})`);
}

const VERDICT_TEXT: Record<Verdict, string> = {
  met: "yes",
  missed: "NO",
  spread: "spread straddles",
  info: "—",
};

export function tableText(): string {
  const header = ["scenario", "ours", "ceiling or peer (same run)", "ratio: median (range)", "target", "met"];
  const lines = rows.map((r) => [r.scenario, r.ours, r.versus, r.ratio, r.target, VERDICT_TEXT[r.verdict]]);
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...lines.map((cells) => `| ${cells.join(" | ")} |`),
  ].join("\n");
}
