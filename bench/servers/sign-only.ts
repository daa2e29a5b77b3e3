// The warm /token ceiling: a bare Fastify route that only signs an equivalent
// JWT with the issuer's key, with the issuer's own minting function.
import { loadSigningKeys, mintAccessToken } from "@patgate/issuer";
import Fastify from "fastify";

const [keyFile = "", issuer = ""] = process.argv.slice(2);
const keys = await loadSigningKeys({ path: keyFile, generate: false, jwtTtlSeconds: 3600 });
const app = Fastify({ logger: false });
app.post("/token", async (_request, reply) => {
  const minted = await mintAccessToken(keys, {
    issuer,
    audience: "patgate",
    owner: "user0",
    tokenId: "0123456789abcdefghijk",
    roles: ["read", "write"],
    ttlSeconds: 3600,
    nowMs: Date.now(),
    revision: 1,
    ownerRevision: 0,
  });
  reply.header("cache-control", "no-store");
  return {
    access_token: minted.token,
    issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
    token_type: "Bearer",
    expires_in: 3600,
    scope: minted.scope,
  };
});
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
process.send?.({ ready: { port: typeof address === "object" && address ? address.port : 0 } });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
