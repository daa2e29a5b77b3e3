// Cold `/token` (each PAT exchanged for the first time: a table read and a
// scrypt) beside scrypt alone with the issuer's parameters, by CPU.
import { cpuSecondsOf, startChild } from "../lib/child.js";
import { type BenchContext, pidOf, seedPats, server } from "../lib/context.js";
import { load } from "../lib/load.js";
import { ratioSpread, spreadOf } from "../lib/rounds.js";
import { settings } from "../lib/settings.js";
import { addRow, atLeast, fmt, spreadText } from "../lib/table.js";

interface ColdRound {
  readonly rps: number;
  /** CPU per exchange: the issuer's thread pool (scrypt) and its event loop, ms. */
  readonly poolMs: number;
  readonly loopMs: number;
  readonly storeCores: number;
}

async function coldRound(ctx: BenchContext, round: number): Promise<ColdRound> {
  const issuerPid = pidOf(ctx.issuer);
  const storePid = pidOf(ctx.dynalite);
  const batch = await seedPats(ctx.store, settings.coldPats, `cold${round}-`);
  ctx.patCount += batch.length;
  const cpu = () => Promise.all([cpuSecondsOf(issuerPid), cpuSecondsOf(issuerPid, issuerPid), cpuSecondsOf(storePid)]);
  const before = await cpu();
  const started = performance.now();
  const result = await load({
    url: `${ctx.issuer.url}/token`,
    method: "POST",
    amount: batch.length,
    connections: 8,
    headers: batch.map((pat) => ({ authorization: `Bearer ${pat}` })),
  });
  const elapsed = (performance.now() - started) / 1000;
  const [total, loop, store] = (await cpu()).map((after, i) => after - (before[i] as number)) as [
    number,
    number,
    number,
  ];
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`cold /token: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    rps: result.requestsPerSecond,
    poolMs: ((total - loop) * 1000) / batch.length,
    loopMs: (loop * 1000) / batch.length,
    storeCores: store / elapsed,
  };
}

export async function cold(ctx: BenchContext): Promise<void> {
  const scryptCpuMs: number[] = [];
  const scryptRate: number[] = [];
  const rounds: ColdRound[] = [];
  let phc = "";
  for (let round = 0; round < settings.rounds; round++) {
    const scrypt = await startChild(server("scrypt-ceiling"), { args: [String(settings.seconds * 1000)] });
    scryptRate.push(scrypt.ready.perSecond as number);
    scryptCpuMs.push(1000 / (scrypt.ready.perCpuSecond as number));
    phc = String(scrypt.ready.phc);
    await scrypt.stop();
    rounds.push(await coldRound(ctx, round));
  }
  const cpuMs = rounds.map((r) => r.poolMs + r.loopMs);
  // By CPU: a scrypt alone against all the issuer spends on one exchange.
  const ratio = ratioSpread(scryptCpuMs, cpuMs);
  const mid = (xs: number[]) => spreadOf(xs).median;
  addRow({
    scenario: `cold \`/token\` (${fmt(settings.coldPats)} fresh PATs per round)`,
    ours: `${fmt(mid(rounds.map((r) => r.rps)), 1)} req/s; CPU per exchange ${fmt(mid(rounds.map((r) => r.poolMs)), 1)} ms thread pool + ${fmt(mid(rounds.map((r) => r.loopMs)), 1)} ms event loop; store ${fmt(mid(rounds.map((r) => r.storeCores)), 2)} cores`,
    versus: `scrypt alone (${phc}): ${fmt(mid(scryptRate), 1)}/s; ${spreadText(spreadOf(scryptCpuMs), 1)} ms CPU each`,
    ratio: `${spreadText(ratio)} by CPU`,
    target: "≥ 0.85",
    verdict: atLeast(ratio, 0.85),
    data: {
      rps: mid(rounds.map((r) => r.rps)),
      cpuMsPerExchange: mid(cpuMs),
      scryptCpuMs: mid(scryptCpuMs),
      ratio: ratio.median,
    },
  });
}
