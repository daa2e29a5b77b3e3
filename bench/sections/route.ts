// A protected route beside the bare route and the framework's usual peer:
// our Fastify plugin vs @fastify/jwt, our Express middleware vs Auth0's
// express-oauth2-jwt-bearer; one reused JWT, requests per server CPU-second.
import { type Child, startChild } from "../lib/child.js";
import { type BenchContext, exchange, onCleanup, pidOf, profileArgs, server } from "../lib/context.js";
import { type LoadResult, load } from "../lib/load.js";
import { alternate, ratioSpread, spreadOf } from "../lib/rounds.js";
import { settings } from "../lib/settings.js";
import { addRow, atLeast, fmt, spreadText, worst } from "../lib/table.js";

const MODES = [
  "fastify-bare",
  "fastify-patgate",
  "fastify-jwt",
  "express-bare",
  "express-patgate",
  "express-auth0",
] as const;
type Mode = (typeof MODES)[number];

const PEERS = {
  fastify: {
    label: "Fastify",
    ours: "fastify-patgate",
    bare: "fastify-bare",
    peer: "fastify-jwt",
    peerName: "@fastify/jwt 10 (fast-jwt, its cache on)",
  },
  express: {
    label: "Express",
    ours: "express-patgate",
    bare: "express-bare",
    peer: "express-auth0",
    peerName: "express-oauth2-jwt-bearer 1.10",
  },
} as const;

export async function route(ctx: BenchContext): Promise<void> {
  const jwt = await exchange(ctx.issuer.url, ctx.warmPats[0] as string);
  const headers = { authorization: `Bearer ${jwt}` };
  const servers = {} as Record<Mode, Child>;
  for (const mode of MODES) {
    servers[mode] = await startChild(server("resource"), {
      args: [mode, ctx.issuer.url, ctx.jwks],
      execArgv: profileArgs(),
    });
    onCleanup(() => servers[mode].stop());
  }
  const run = (mode: Mode, seconds: number) => async () => {
    const child = servers[mode];
    const result = await load({
      url: `http://127.0.0.1:${child.ready.port}/resource`,
      durationSeconds: seconds,
      headers,
      serverPid: pidOf(child),
    });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`route ${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return result;
  };
  const runs = await alternate(
    Object.fromEntries(MODES.map((m) => [m, run(m, settings.seconds)])),
    settings.rounds,
    Object.fromEntries(MODES.map((m) => [m, run(m, 1)])),
  );
  await Promise.all(MODES.map((m) => servers[m].stop()));
  const cpu = (mode: Mode) => (runs[mode] ?? []).map((r: LoadResult) => r.perServerCpuSecond);
  for (const p of Object.values(PEERS)) {
    const vsBare = ratioSpread(cpu(p.ours), cpu(p.bare));
    const vsPeer = ratioSpread(cpu(p.ours), cpu(p.peer));
    const peerVsBare = ratioSpread(cpu(p.peer), cpu(p.bare));
    addRow({
      scenario: `protected ${p.label} route, reused token (per server CPU-s)`,
      ours: spreadText(spreadOf(cpu(p.ours)), 0),
      versus: `bare route ${fmt(spreadOf(cpu(p.bare)).median)}; ${p.peerName} ${fmt(spreadOf(cpu(p.peer)).median)} (${fmt(peerVsBare.median, 2)} of bare)`,
      ratio: `${spreadText(vsBare)} of bare; ${spreadText(vsPeer, 2, "×")} the peer`,
      target: "≥ 0.85 of bare, ahead of the peer",
      verdict: worst(atLeast(vsBare, 0.85), atLeast(vsPeer, 1)),
      data: {
        perCpuSecond: spreadOf(cpu(p.ours)).median,
        barePerCpuSecond: spreadOf(cpu(p.bare)).median,
        peerPerCpuSecond: spreadOf(cpu(p.peer)).median,
        ratio: vsBare.median,
        vsPeer: vsPeer.median,
      },
    });
  }
}
