// Revocation propagation as followers grow (1 / 10 / 100): from the start of
// the admin request to the moment every follower rejects the JWT. Followers
// share processes (at most 4, as many verifiers each as it takes); the
// verifiers of one process share one deny-list follower (one stream read),
// as `@patgate/verifier` does for lists that follow the same Redis.
import { Redis } from "ioredis";
import { type Child, startChild } from "../lib/child.js";
import { type BenchContext, exchange, onCleanup, seedAdmin, server } from "../lib/context.js";
import { settings } from "../lib/settings.js";
import { percentile } from "../lib/stats.js";
import { addRow, curves, fmt, worst } from "../lib/table.js";

const MAX_PROCESSES = 4;

/** Resolves with the time (performance.now) `kind` has arrived from every process. */
function allReport(processes: readonly Child[], kind: "denied" | "published" | "watching"): Promise<number> {
  return new Promise((resolve, reject) => {
    let left = processes.length;
    const timer = setTimeout(() => reject(new Error(`followers did not all report ${kind}`)), 15_000);
    for (const child of processes) {
      const onMessage = (message: Record<string, unknown>) => {
        if (!message[kind]) return;
        child.process.off("message", onMessage);
        left -= 1;
        if (left === 0) {
          clearTimeout(timer);
          resolve(performance.now());
        }
      };
      child.process.on("message", onMessage);
    }
  });
}

async function startFollowers(ctx: BenchContext, followers: number): Promise<Child[]> {
  const processes = Math.min(MAX_PROCESSES, followers);
  const children: Child[] = [];
  for (let i = 0; i < processes; i++) {
    const count = Math.floor(followers / processes) + (i < followers % processes ? 1 : 0);
    const child = await startChild(server("follower"), {
      args: [ctx.redisUrl, ctx.issuer.url, ctx.jwks, "bench", String(count)],
    });
    onCleanup(() => child.stop());
    children.push(child);
  }
  return children;
}

async function measure(ctx: BenchContext, followers: number, adminJwt: string) {
  const children = await startFollowers(ctx, followers);
  const fromRequest: number[] = [];
  let pending = 0;
  for (let i = 0; i < settings.revocations; i++) {
    const target = await exchange(ctx.issuer.url, ctx.warmPats[i % ctx.warmPats.length] as string);
    const watching = allReport(children, "watching");
    for (const child of children) child.send({ watch: target });
    await watching;
    const jti = JSON.parse(Buffer.from(target.split(".")[1] as string, "base64url").toString()).jti as string;
    const denied = allReport(children, "denied");
    const sent = performance.now();
    const response = await fetch(`${ctx.issuer.url}/admin/jwts/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminJwt}`, "content-type": "application/json" },
      body: JSON.stringify({ jti }),
    });
    const body = (await response.json()) as { propagation?: string };
    if (response.status !== 200) throw new Error(`revoke answered ${response.status}: ${JSON.stringify(body)}`);
    if (body.propagation !== "confirmed") pending += 1;
    fromRequest.push((await denied) - sent);
  }
  const pubsub: number[] = [];
  const publisher = new Redis(ctx.redisUrl);
  for (let i = 0; i < settings.revocations; i++) {
    const received = allReport(children, "published");
    const sent = performance.now();
    await publisher.publish("bench", String(i));
    pubsub.push((await received) - sent);
  }
  publisher.disconnect();
  await Promise.all(children.map((c) => c.stop()));
  return { followers, processes: children.length, fromRequest, pubsub, pending };
}

export async function revocation(ctx: BenchContext): Promise<void> {
  const adminJwt = await exchange(ctx.issuer.url, await seedAdmin(ctx.store), "patgate-admin");
  const points = [];
  for (const followers of settings.followerCounts) points.push(await measure(ctx, followers, adminJwt));
  const p = percentile;
  curves.revocation = points.map((m) => ({
    followers: m.followers,
    p50Ms: p(m.fromRequest, 50),
    p99Ms: p(m.fromRequest, 99),
    pubsubP50Ms: p(m.pubsub, 50),
    pubsubP99Ms: p(m.pubsub, 99),
  }));
  for (const m of points) {
    const p99 = p(m.fromRequest, 99);
    const p50 = p(m.fromRequest, 50);
    // The targets: p50 ≤ 5 ms and p99 ≤ 15 ms up to 10 followers, p99 ≤ 25 ms with 100.
    const [p50Max, p99Max] = m.followers <= 10 ? [5, 15] : [Number.POSITIVE_INFINITY, 25];
    addRow({
      scenario: `revocation: admin request → rejected by all ${m.followers} follower(s) (${m.processes} process(es); ${settings.revocations} revocations)`,
      ours: `p50 ${fmt(p(m.fromRequest, 50), 2)} ms, p99 ${fmt(p99, 2)} ms${m.pending ? `; ${m.pending} answered pending` : ""}`,
      versus: `Redis publish → all: p50 ${fmt(p(m.pubsub, 50), 2)} ms, p99 ${fmt(p(m.pubsub, 99), 2)} ms`,
      ratio: `${fmt(p(m.fromRequest, 50) / p(m.pubsub, 50), 1)}× pub/sub (p50)`,
      target: p50Max === Number.POSITIVE_INFINITY ? `p99 ≤ ${p99Max} ms` : `p50 ≤ ${p50Max} ms, p99 ≤ ${p99Max} ms`,
      verdict: worst(p50 <= p50Max && p99 <= p99Max ? "met" : "missed", m.pending === 0 ? "met" : "missed"),
      data: { followers: m.followers, p50Ms: p(m.fromRequest, 50), p99Ms: p99, pending: m.pending },
    });
  }
}
