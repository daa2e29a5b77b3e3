// Warm `/token` (PATs re-exchanged, served from the issuer's cache) beside
// the sign-only ceiling (a bare route signing the same JWT with the same key)
// and oidc-provider's `client_credentials` (a real OAuth server minting a JWT
// access token for a known client, with the same key).
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { startChild } from "../lib/child.js";
import { type BenchContext, onCleanup, pidOf, profileArgs, server } from "../lib/context.js";
import { type LoadResult, load } from "../lib/load.js";
import { alternate, ratioSpread, spreadOf } from "../lib/rounds.js";
import { settings } from "../lib/settings.js";
import { addRow, atLeast, fmt, spreadText, worst } from "../lib/table.js";

const perCpu = (runs: readonly LoadResult[]) => runs.map((r) => r.perServerCpuSecond);
const perWall = (runs: readonly LoadResult[]) => runs.map((r) => r.requestsPerSecond);

export async function minting(ctx: BenchContext): Promise<void> {
  const warmHeaders = ctx.warmPats.map((pat) => ({ authorization: `Bearer ${pat}` }));
  const keyFile = join(ctx.dataDir, "signing-keys.json");
  const signOnly = await startChild(server("sign-only"), { args: [keyFile, ctx.issuer.url], execArgv: profileArgs() });
  onCleanup(() => signOnly.stop());
  const secret = randomBytes(24).toString("base64url");
  const oidc = await startChild(server("oidc-provider"), { args: [keyFile, secret] });
  onCleanup(() => oidc.stop());
  const oidcRequest = {
    url: `http://127.0.0.1:${oidc.ready.port}/token`,
    method: "POST" as const,
    headers: {
      authorization: `Basic ${Buffer.from(`bench:${secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials&scope=read%20write",
    serverPid: pidOf(oidc),
  };
  const contenders = {
    signOnly: (seconds: number) =>
      load({
        url: `http://127.0.0.1:${signOnly.ready.port}/token`,
        method: "POST",
        durationSeconds: seconds,
        headers: warmHeaders,
        serverPid: pidOf(signOnly),
      }),
    ours: (seconds: number) =>
      load({
        url: `${ctx.issuer.url}/token`,
        method: "POST",
        durationSeconds: seconds,
        headers: warmHeaders,
        serverPid: pidOf(ctx.issuer),
      }),
    oidc: (seconds: number) => load({ ...oidcRequest, durationSeconds: seconds }),
  };
  const runs = await alternate(
    Object.fromEntries(Object.entries(contenders).map(([k, fn]) => [k, () => fn(settings.seconds)])),
    settings.rounds,
    Object.fromEntries(Object.entries(contenders).map(([k, fn]) => [k, () => fn(1)])),
  );
  await Promise.all([signOnly.stop(), oidc.stop()]);
  const [ours, sign, peer] = [runs.ours ?? [], runs.signOnly ?? [], runs.oidc ?? []];
  for (const [name, list] of Object.entries(runs))
    if (list.some((r) => r.non2xx > 0 || r.errors > 0)) throw new Error(`minting, ${name}: non-2xx or errors`);
  const vsSign = ratioSpread(perCpu(ours), perCpu(sign));
  const vsOidc = ratioSpread(perCpu(ours), perCpu(peer));
  const oursCpu = spreadOf(perCpu(ours));
  addRow({
    scenario: "warm `/token` (50 PATs re-exchanged), per issuer CPU-s",
    ours: `${spreadText(oursCpu, 0)} per CPU-s; ${fmt(spreadOf(perWall(ours)).median)} req/s`,
    versus: `sign-only route (same key, same claims): ${spreadText(spreadOf(perCpu(sign)), 0)} per CPU-s`,
    ratio: spreadText(vsSign),
    target: "≥ 0.85",
    verdict: atLeast(vsSign, 0.85),
    data: { perCpuSecond: oursCpu.median, signOnlyPerCpuSecond: spreadOf(perCpu(sign)).median, ratio: vsSign.median },
  });
  addRow({
    scenario: "warm `/token` vs oidc-provider `client_credentials` (JWT access token, same key)",
    ours: `${spreadText(oursCpu, 0)} per CPU-s`,
    versus: `oidc-provider 9: ${spreadText(spreadOf(perCpu(peer)), 0)} per CPU-s; ${fmt(spreadOf(perWall(peer)).median)} req/s`,
    ratio: `${spreadText(vsOidc, 2, "×")}`,
    target: "≥ 2×",
    verdict: worst(atLeast(vsOidc, 2)),
    data: { oidcPerCpuSecond: spreadOf(perCpu(peer)).median, ratio: vsOidc.median },
  });
}
