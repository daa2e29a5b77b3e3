// What a run measures and for how long: `--quick` is a smoke run of the
// harness; `--only a,b` runs only the named sections (`--flood` = `--only attack`).
export const SECTIONS = [
  "warm",
  "rss",
  "cold",
  "table",
  "verify",
  "dpop",
  "deny",
  "route",
  "revocation",
  "cluster",
  "attack",
  "statuslist",
] as const;
export type Section = (typeof SECTIONS)[number];

const argv = process.argv.slice(2);
export const quick = argv.includes("--quick");
/** `--profile`: the measured servers write V8 CPU profiles (node --cpu-prof) into bench/results/profiles. */
export const profile = argv.includes("--profile");

function selected(): ReadonlySet<Section> {
  if (argv.includes("--flood")) return new Set(["attack"]);
  const at = argv.indexOf("--only");
  const list = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  if (list === undefined) return new Set(SECTIONS);
  const names = list.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(", ")}; known: ${SECTIONS.join(", ")}`);
  return new Set(names as Section[]);
}
export const sections = selected();
export const fullRun = sections.size === SECTIONS.length;

export const settings = quick
  ? {
      seconds: 2,
      microMs: 300,
      sustainSeconds: 8,
      coldPats: 60,
      revocations: 30,
      tableSizes: [1_000, 3_000],
      denyCounts: [0, 10_000, 50_000],
      followerCounts: [1, 10],
      rounds: 3,
      floodSeconds: 4,
      floodAddresses: 40,
    }
  : {
      seconds: 4,
      microMs: 500,
      sustainSeconds: 30,
      coldPats: 200,
      revocations: 150,
      tableSizes: [1_000, 10_000, 100_000],
      denyCounts: [0, 10_000, 100_000, 1_000_000],
      followerCounts: [1, 10, 100],
      rounds: 3,
      floodSeconds: 15,
      floodAddresses: 100,
    };
