// A microservice route: protected by @patgate/verifier's Fastify plugin, or bare (the ceiling).
import { patgate } from "@patgate/verifier/fastify";
import Fastify from "fastify";

const [mode = "bare", issuer = "", jwksJson = "{}"] = process.argv.slice(2);
const app = Fastify({ logger: false });
if (mode === "protected") {
  await app.register(patgate, { issuer, audience: "patgate", jwks: JSON.parse(jwksJson) });
}
app.get("/resource", async () => ({ ok: true }));
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
process.send?.({ ready: { port: typeof address === "object" && address ? address.port : 0 } });
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
