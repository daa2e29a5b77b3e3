// A microservice protected by @patgate/verifier (the built package), following
// the issuer's deny-list in Redis: what every real service runs. Used by the
// revocation end-to-end suite, several at once.
import { patgate } from "@patgate/verifier/fastify";
import Fastify from "fastify";

const [issuer, redis, keyPrefix, port] = process.argv.slice(2);
const app = Fastify();
await app.register(patgate, {
  issuer,
  audience: "patgate",
  jwksUri: `${issuer}/.well-known/jwks.json`,
  denyList: { redis, keyPrefix },
  cache: { max: 1000 },
});
app.get("/me", async (request) => ({ sub: request.auth?.sub, roles: request.auth?.roles }));
await app.listen({ port: Number(port), host: "127.0.0.1" });
process.stdout.write("listening\n");
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));
