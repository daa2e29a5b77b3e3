import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { sampleEventLoop, sampleProcessMemory } from "../metrics/issuer-metrics.js";
import { redisReadiness } from "../redis/readiness.js";

function probe(check: Promise<unknown>): Promise<"ok" | "unavailable"> {
  return check.then(
    () => "ok" as const,
    () => "unavailable" as const,
  );
}

/** `/healthz` (the process is up), `/readyz` (the stores answer), `/metrics` (Prometheus). */
export async function healthRoutes(
  app: FastifyInstance,
  ctx: Pick<AppContext, "metrics" | "redis" | "store">,
): Promise<void> {
  app.get("/healthz", { schema: { tags: ["operations"], summary: "Liveness" } }, async () => ({ status: "ok" }));

  app.get(
    "/readyz",
    { schema: { tags: ["operations"], summary: "Readiness: token store and Redis reachable" } },
    async (request, reply) => {
      const redis = ctx.redis;
      const [store, redisState] = await Promise.all([
        probe(ctx.store.ping()),
        redis ? redisReadiness(redis, 2000) : undefined,
      ]);
      // On a cluster, `cluster` carries its cluster_state (`ok`, or `fail` mid-failover).
      const checks = { store, ...redisState };
      const ready = Object.values(checks).every((c) => c === "ok");
      if (!ready) request.log.warn({ checks }, "not ready");
      return reply
        .status(ready ? 200 : 503)
        .header("cache-control", "no-store")
        .send({ status: ready ? "ready" : "unavailable", checks });
    },
  );

  app.get("/metrics", { schema: { tags: ["operations"], summary: "Prometheus metrics" } }, async (_request, reply) => {
    sampleProcessMemory(ctx.metrics);
    sampleEventLoop(ctx.metrics);
    return reply
      .type("text/plain; version=0.0.4")
      .header("cache-control", "no-store")
      .send(ctx.metrics.registry.render());
  });
}
