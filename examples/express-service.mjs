// The same microservice in Express.
//
//   REDIS_URL=redis://127.0.0.1:6379 node examples/express-service.mjs
import { patgateAuth, patgateErrorHandler, requireRoles } from "@patgate/verifier/express";
import express from "express";

const env = process.env;
const issuer = env.PATGATE_ISSUER ?? "http://127.0.0.1:8080";
const app = express();

app.get("/healthz", (_req, res) => res.json({ ok: true })); // before the middleware: public
app.use(
  patgateAuth({
    issuer,
    audience: env.PATGATE_AUDIENCE ?? "patgate",
    jwksUri: env.PATGATE_JWKS_URI ?? `${issuer}/.well-known/jwks.json`,
    denyList: { redis: env.REDIS_URL ?? "redis://127.0.0.1:6379", keyPrefix: env.PATGATE_REDIS_PREFIX ?? "patgate" },
  }),
);
app.get("/me", (req, res) => res.json({ sub: req.auth?.sub, roles: req.auth?.roles }));
app.get("/reports", requireRoles("reports:read"), (req, res) =>
  res.json({ reports: [`quarterly numbers for ${req.auth?.sub}`] }),
);
app.use(patgateErrorHandler());

const host = env.HOST ?? "127.0.0.1";
const port = Number(env.PORT ?? 3000);
const server = app.listen(port, host, () => console.log(`express service listening on http://${host}:${port}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => server.close(() => process.exit(0)));
