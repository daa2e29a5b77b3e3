// A microservice route, bare (the ceiling) or protected, on Fastify or
// Express: ours (the Fastify plugin, the Express middleware) or the peer a
// user of that framework would pick (@fastify/jwt, express-oauth2-jwt-bearer),
// all verifying the issuer's JWTs against its JWKS.
import { createPublicKey, type JsonWebKey } from "node:crypto";
import fastifyJwt from "@fastify/jwt";
import { patgateAuth, patgateErrorHandler } from "@patgate/verifier/express";
import { patgate } from "@patgate/verifier/fastify";
import express from "express";
import { auth } from "express-oauth2-jwt-bearer";
import Fastify from "fastify";

const [mode = "fastify-bare", issuer = "", jwksJson = "{}"] = process.argv.slice(2);
const jwks = JSON.parse(jwksJson) as { keys: (JsonWebKey & { alg?: string })[] };
const ready = (port: number) => process.send?.({ ready: { port } });

async function startFastify(): Promise<void> {
  const app = Fastify({ logger: false });
  if (mode === "fastify-patgate") {
    await app.register(patgate, { issuer, audience: "patgate", jwks });
  }
  if (mode === "fastify-jwt") {
    // get-jwks cannot read Ed25519 keys (OKP), the issuer's default: the plugin gets the public key itself.
    const [jwk] = jwks.keys;
    const pem = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" }).export({ type: "spki", format: "pem" });
    await app.register(fastifyJwt, {
      secret: { public: pem.toString() },
      verify: { allowedIss: issuer, allowedAud: "patgate", cache: true },
    });
    app.addHook("onRequest", async (request) => {
      await request.jwtVerify();
    });
  }
  app.get("/resource", async () => ({ ok: true }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  ready(typeof address === "object" && address ? address.port : 0);
  process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
}

function startExpress(): void {
  const app = express();
  if (mode === "express-patgate") app.use(patgateAuth({ issuer, audience: "patgate", jwks }));
  if (mode === "express-auth0") {
    const alg = jwks.keys[0]?.alg ?? "EdDSA";
    app.use(auth({ issuer, audience: "patgate", jwksUri: `${issuer}/.well-known/jwks.json`, tokenSigningAlg: alg }));
  }
  app.get("/resource", (_req, res) => {
    res.json({ ok: true });
  });
  app.use(patgateErrorHandler());
  const server = app.listen(0, "127.0.0.1", () => {
    const address = server.address();
    ready(typeof address === "object" && address ? address.port : 0);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

if (mode.startsWith("fastify")) await startFastify();
else startExpress();
