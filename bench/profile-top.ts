// The top frames (self time) of a V8 CPU profile, as `--profile` runs leave
// them in bench/results/profiles: node bench/dist/bench/profile-top.js FILE [N] [SKIP_SECONDS]
// (SKIP_SECONDS leaves out the start: module loading, seeding).
import { readFile } from "node:fs/promises";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time by frame, in percent of the busy (non-idle) time, highest first. */
export function topFrames(profile: Profile, count: number, skipSeconds = 0): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busy = 0;
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    elapsedUs += profile.timeDeltas[i] ?? 0;
    if (elapsedUs < skipSeconds * 1e6) return;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") return;
    const where = frame.url ? ` ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    busy += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, t]) => [name, (100 * t) / busy]);
}

if (process.argv[1]?.endsWith("profile-top.js")) {
  const [file = "", count = "15", skip = "0"] = process.argv.slice(2);
  const profile = JSON.parse(await readFile(file, "utf8")) as Profile;
  for (const [name, pct] of topFrames(profile, Number(count), Number(skip)))
    process.stdout.write(`${pct.toFixed(1).padStart(5)} %  ${name}\n`);
}
