// The issuer under attack: its default limits (per-IP requests, cold
// exchanges per address, the scrypt queue), a legitimate client at
// 127.0.0.200 doing warm exchanges (every 20 ms), JWKS fetches (every 50 ms)
// and cold exchanges (every second), first alone, then beside a forged-PAT
// flood from one address (8 senders), then beside one from many addresses.
// Each flooding sender goes as fast as its limits allow: back to back,
// waiting only what `Retry-After` says.
import { once } from "node:events";
import { cpuSecondsOf, startChild } from "../lib/child.js";
import { type BenchContext, onCleanup, pidOf, seedPats, server, startIssuer } from "../lib/context.js";
import { call, closeAgents, coldOutcome, type FloodTally, latency, type Measured, runPhase } from "../lib/flood.js";
import { settings } from "../lib/settings.js";
import { addRow, fmt, log } from "../lib/table.js";

interface PhaseResult {
  readonly name: string;
  readonly measured: Measured;
  readonly flood: FloodTally;
  readonly shed: number;
}

/** A counter of the issuer's `/metrics`, summed over its labels. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) if (line.startsWith(name)) sum += Number(line.split(" ").at(-1));
  return sum;
}

function tallyText(tally: FloodTally): string {
  return [...tally.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${fmt(count)}× ${status === 0 ? "hung" : status}`)
    .join(", ");
}

/** Starts the flooding process for one phase; resolves with its tally. */
async function attackWith(url: string, attackers: readonly string[], lanes: number): Promise<FloodTally> {
  const flooder = await startChild(server("flooder"), {
    args: [url, String(settings.floodSeconds), String(lanes), ...attackers],
  });
  onCleanup(() => flooder.stop());
  const [message] = (await once(flooder.process, "message")) as [{ tally: [number, number][] }];
  return new Map(message.tally);
}

async function runPhases(ctx: BenchContext): Promise<PhaseResult[]> {
  const {
    PATGATE_RATE_LIMIT: _requests,
    PATGATE_COLD_EXCHANGES_PER_MINUTE: _cold,
    PATGATE_SCRYPT_MAX_WAIT: _wait,
    ...defaults
  } = ctx.issuerEnv;
  const scrypt = process.env.PATGATE_SCRYPT_CONCURRENCY;
  const target = await startIssuer({
    ...defaults,
    PATGATE_WORKER: "off",
    ...(scrypt ? { PATGATE_SCRYPT_CONCURRENCY: scrypt } : {}),
  });
  const clientAddress = "127.0.0.200";
  const [warmPat = ""] = await seedPats(ctx.store, 1, "attack-warm");
  const coldPats = await seedPats(ctx.store, settings.floodSeconds * 3 + 10, "attack-cold");
  const warmUp = await call(`${target.url}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${warmPat}` },
    localAddress: clientAddress,
  });
  if (warmUp.status !== 200) throw new Error(`under attack: the warm PAT did not exchange (${warmUp.status})`);
  // A first, unmeasured second of the legitimate traffic: JIT, connections, caches.
  await runPhase({ url: target.url, seconds: 1, clientAddress, warmPat, coldPats });
  const addresses = Array.from({ length: settings.floodAddresses }, (_, i) => `127.0.0.${i + 2}`);
  const phases = [
    { name: "no flood", attackers: [] as string[], lanes: 1 },
    { name: "one address floods (8 senders)", attackers: ["127.0.0.2"], lanes: 8 },
    { name: `${settings.floodAddresses} addresses flood`, attackers: addresses, lanes: 1 },
  ];
  const pid = pidOf(target);
  const storePid = pidOf(ctx.dynalite);
  const cpu = () => Promise.all([cpuSecondsOf(pid, pid), cpuSecondsOf(pid), cpuSecondsOf(storePid)]);
  const results: PhaseResult[] = [];
  for (const phase of phases) {
    const cpuBefore = await cpu();
    const shedBefore = await metric(target.url, "patgate_scrypt_shed_total"); // also starts a loop-delay window
    const attack = phase.attackers.length > 0 ? () => attackWith(target.url, phase.attackers, phase.lanes) : undefined;
    const { measured, flood, benchLoopMaxMs } = await runPhase({
      url: target.url,
      seconds: settings.floodSeconds,
      clientAddress,
      warmPat,
      coldPats,
      ...(attack ? { attack } : {}),
    });
    // Read first: every scrape starts a new window of the loop-delay gauges.
    const loopMaxMs = (await metric(target.url, "nodejs_eventloop_delay_max_seconds")) * 1000;
    const shed = (await metric(target.url, "patgate_scrypt_shed_total")) - shedBefore;
    const [loop = 0, issuer = 0, store = 0] = (await cpu()).map(
      (after, i) => (after - (cpuBefore[i] as number)) / settings.floodSeconds,
    );
    log(
      `under attack, ${phase.name}: cores used: issuer event loop ${fmt(loop, 2)}, issuer threads ${fmt(issuer - loop, 2)}, store ${fmt(store, 2)}`,
    );
    log(
      `under attack, ${phase.name}: flood ${tallyText(flood) || "none"}; ${fmt(shed)} scrypt checks shed; event loop delayed at most ${fmt(loopMaxMs, 1)} ms in the issuer, ${fmt(benchLoopMaxMs, 1)} ms in the bench`,
    );
    results.push({ name: phase.name, measured, flood, shed });
  }
  closeAgents();
  target.process.kill("SIGTERM");
  return results;
}

function phaseRows(base: PhaseResult, { name, measured, flood, shed }: PhaseResult): void {
  const b = {
    warm: latency(base.measured.warm),
    jwks: latency(base.measured.jwks),
    cold: coldOutcome(base.measured.cold),
  };
  const warm = latency(measured.warm);
  const jwks = latency(measured.jwks);
  const cold = coldOutcome(measured.cold);
  const hung = [...measured.warm, ...measured.jwks, ...measured.cold].filter((c) => c.status === 0).length;
  const warmFailed = measured.warm.filter((c) => c.status !== 200).length;
  addRow({
    scenario: `under attack, ${name}: warm \`/token\``,
    ours: `p50 ${fmt(warm.p50, 1)} ms, p99 ${fmt(warm.p99, 1)} ms (${fmt(measured.warm.length)} calls, ${warmFailed} not 200); flood: ${tallyText(flood)}; ${fmt(shed)} shed`,
    versus: `no flood: p50 ${fmt(b.warm.p50, 1)} ms, p99 ${fmt(b.warm.p99, 1)} ms`,
    ratio: `${fmt(warm.p99 / b.warm.p99, 1)}× p99`,
    target: "p99 ≤ 50 ms, all 200",
    verdict: warm.p99 <= 50 && warmFailed === 0 ? "met" : "missed",
    data: { p50Ms: warm.p50, p99Ms: warm.p99, baseP99Ms: b.warm.p99, failed: warmFailed },
  });
  addRow({
    scenario: `under attack, ${name}: JWKS`,
    ours: `p50 ${fmt(jwks.p50, 1)} ms, p99 ${fmt(jwks.p99, 1)} ms (${fmt(measured.jwks.length)} calls)`,
    versus: `no flood: p50 ${fmt(b.jwks.p50, 1)} ms, p99 ${fmt(b.jwks.p99, 1)} ms`,
    ratio: `${fmt(jwks.p99 / b.jwks.p99, 1)}× p99`,
    target: "p99 ≤ 20 ms",
    verdict: jwks.p99 <= 20 ? "met" : "missed",
    data: { p50Ms: jwks.p50, p99Ms: jwks.p99, baseP99Ms: b.jwks.p99 },
  });
  addRow({
    scenario: `under attack, ${name}: legitimate cold \`/token\``,
    ours: [
      `${cold.served} served${cold.served ? ` (p99 ${fmt(cold.servedP99, 0)} ms)` : ""}`,
      `${cold.shed} shed with 503 + Retry-After${cold.shed ? ` (slowest ${fmt(cold.shedMax, 0)} ms)` : ""}`,
      `${cold.bad} neither`,
      `${hung} calls hung (of any kind)`,
    ].join(", "),
    versus: `no flood: ${b.cold.served} served (p99 ${fmt(b.cold.servedP99, 0)} ms)`,
    ratio: "—",
    target: "served ≤ 2 s or a 503 with Retry-After ≤ 1.5 s; nothing hangs",
    verdict: cold.bad === 0 && hung === 0 ? "met" : "missed",
    data: { served: cold.served, shed: cold.shed, bad: cold.bad, hung },
  });
}

export async function attack(ctx: BenchContext): Promise<void> {
  const [base, ...floods] = await runPhases(ctx);
  if (!base) return;
  for (const phase of floods) phaseRows(base, phase);
}
