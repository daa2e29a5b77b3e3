// A microservice protected by @patgate/verifier that cannot reach the deployment's
// Redis: revocations are followed through the issuer's Token Status List over HTTPS.
//
//   PATGATE_ISSUER=https://auth.example.com node examples/status-list-service.mjs
import { patgate } from "@patgate/verifier/fastify";
import Fastify from "fastify";

const env = process.env;
const issuer = env.PATGATE_ISSUER ?? "http://127.0.0.1:8080";
const app = Fastify({ logger: { level: env.LOG_LEVEL ?? "info" } });

await app.register(patgate, {
  issuer, // must equal the issuer's PATGATE_ISSUER (the `iss` claim)
  audience: env.PATGATE_AUDIENCE ?? "patgate",
  jwksUri: env.PATGATE_JWKS_URI ?? `${issuer}/.well-known/jwks.json`,
  // Each JWT names its list; the list is fetched on first need and again after its ttl.
  // Past maxStalenessSeconds without a good copy, requests fail closed (503).
  statusList: { maxStalenessSeconds: Number(env.PATGATE_STATUS_LIST_MAX_STALENESS ?? 300) },
});

app.get("/healthz", { config: { auth: false } }, async () => ({ ok: true }));
app.get("/me", async (request) => ({ sub: request.auth?.sub, roles: request.auth?.roles }));

await app.listen({ host: env.HOST ?? "127.0.0.1", port: Number(env.PORT ?? 3000) });
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => void app.close().then(() => process.exit(0)));
