// A microservice protected by @patgate/verifier, in Fastify: JWTs verified
// locally against the issuer's JWKS, revocations followed through Redis.
//
//   REDIS_URL=redis://127.0.0.1:6379 node examples/fastify-service.mjs
//   REDIS_CLUSTER_NODES=redis://10.0.0.1:6379,redis://10.0.0.2:6379 node examples/fastify-service.mjs
import { patgate, requireRoles } from "@patgate/verifier/fastify";
import Fastify from "fastify";

const env = process.env;
const issuer = env.PATGATE_ISSUER ?? "http://127.0.0.1:8080";
const app = Fastify({ logger: { level: env.LOG_LEVEL ?? "info" } });

await app.register(patgate, {
  issuer, // must equal the issuer's PATGATE_ISSUER (the `iss` claim)
  audience: env.PATGATE_AUDIENCE ?? "patgate",
  jwksUri: env.PATGATE_JWKS_URI ?? `${issuer}/.well-known/jwks.json`,
  denyList: {
    // A Redis Cluster is given as its seed nodes; PATGATE_READ_FROM_REPLICAS=1 follows the stream on replicas.
    redis: env.REDIS_CLUSTER_NODES?.split(",") ?? env.REDIS_URL ?? "redis://127.0.0.1:6379",
    readFromReplicas: env.PATGATE_READ_FROM_REPLICAS === "1",
    keyPrefix: env.PATGATE_REDIS_PREFIX ?? "patgate",
  },
});

app.get("/healthz", { config: { auth: false } }, async () => ({ ok: true }));
app.get("/me", async (request) => ({ sub: request.auth?.sub, roles: request.auth?.roles }));
app.get("/reports", { preHandler: requireRoles("reports:read") }, async (request) => ({
  reports: [`quarterly numbers for ${request.auth?.sub}`],
}));

await app.listen({ host: env.HOST ?? "127.0.0.1", port: Number(env.PORT ?? 3000) });
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => void app.close().then(() => process.exit(0)));
