// The minting peer: oidc-provider, a certified OAuth 2.0 / OpenID server,
// issuing JWT access tokens for `client_credentials`, the nearest job to
// patgate's warm exchange (a known client's secret in, a signed JWT out),
// signing with the issuer's own key.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import Provider from "oidc-provider";

const [keyFile = "", clientSecret = ""] = process.argv.slice(2);
/** The first private JWK of the issuer's key file, wherever the file nests it. */
function firstPrivateJwk(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if ("d" in value && "kty" in value) return value as Record<string, unknown>;
  for (const child of Object.values(value)) {
    const found = firstPrivateJwk(child);
    if (found) return found;
  }
  return undefined;
}
const jwk = firstPrivateJwk(JSON.parse(await readFile(keyFile, "utf8")));
if (!jwk) throw new Error(`no private key in ${keyFile}`);
const alg = String(jwk.alg ?? "EdDSA");

const server = createServer();
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: "bench",
      client_secret: clientSecret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: alg,
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ["read", "write"],
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => "urn:patgate:bench",
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "read write",
        audience: "patgate",
        accessTokenTTL: 3600,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg } },
      }),
    },
  },
});
server.on("request", provider.callback());
process.send?.({ ready: { port } });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
