// The issuer's resident memory under sustained warm load: a leak shows as a
// rising floor, not as the saw of V8's major collections.
import { rssOf } from "../lib/child.js";
import { type BenchContext, pidOf } from "../lib/context.js";
import { load } from "../lib/load.js";
import { settings } from "../lib/settings.js";
import { addRow, fmt } from "../lib/table.js";

export async function issuerMemory(ctx: BenchContext): Promise<void> {
  const pid = pidOf(ctx.issuer);
  const samples: number[] = [];
  const sampler = setInterval(() => void rssOf(pid).then((rss) => samples.push(rss)), 1000);
  await load({
    url: `${ctx.issuer.url}/token`,
    method: "POST",
    durationSeconds: settings.sustainSeconds,
    headers: ctx.warmPats.map((pat) => ({ authorization: `Bearer ${pat}` })),
  });
  clearInterval(sampler);
  // The heap saws up and down with V8's major collections (±40 MB here), so growth
  // compares the lowest RSS of the first and the last third.
  const third = Math.max(1, Math.floor(samples.length / 3));
  const firstRss = Math.min(...samples.slice(0, third));
  const lastRss = Math.min(...samples.slice(-third));
  const maxRss = Math.max(...samples);
  const growth = (lastRss - firstRss) / firstRss;
  const mb = (bytes: number) => fmt(bytes / 2 ** 20);
  addRow({
    scenario: `issuer RSS under ${settings.sustainSeconds} s of warm load`,
    ours: `max ${mb(maxRss)} MB; floor ${mb(firstRss)} → ${mb(lastRss)} MB (${growth >= 0 ? "+" : ""}${fmt(growth * 100, 1)} %)`,
    versus: "—",
    ratio: "—",
    target: "≤ 250 MB, no growth (floor ≤ +5 %)",
    verdict: maxRss <= 250 * 2 ** 20 && growth <= 0.05 ? "met" : "missed",
    data: { maxRssBytes: maxRss, firstRssBytes: firstRss, lastRssBytes: lastRss },
  });
}
