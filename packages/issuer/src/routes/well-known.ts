import { DPOP_SIGNING_ALGORITHMS, TOKEN_EXCHANGE_GRANT_TYPE } from "@patgate/shared";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";

/** Seconds verifiers may cache the JWKS; rotation publishes keys well before this runs out (see signing-keys.ts). */
export const JWKS_MAX_AGE_SECONDS = 60;

/** `GET /.well-known/jwks.json` and the RFC 8414 metadata. */
export async function wellKnownRoutes(
  app: FastifyInstance,
  ctx: Pick<AppContext, "config" | "keys" | "now">,
): Promise<void> {
  const { config, keys, now } = ctx;

  app.get(
    "/.well-known/jwks.json",
    { schema: { tags: ["discovery"], summary: "Public signing keys (JWKS)" } },
    // From memory: no file read here, so a thread pool busy with scrypt cannot delay it.
    // Rotations by another process arrive through the server's periodic `keys.refresh()`.
    async (_request, reply) =>
      reply
        .header("cache-control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
        .type("application/jwk-set+json")
        .send(keys.published(Math.floor(now() / 1000)).json),
  );

  app.get(
    "/.well-known/oauth-authorization-server",
    { schema: { tags: ["discovery"], summary: "Authorization server metadata (RFC 8414)" } },
    async (_request, reply) => {
      const base = config.issuer;
      return reply.header("cache-control", "public, max-age=3600").send({
        issuer: base,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/.well-known/jwks.json`,
        revocation_endpoint: `${base}/revoke`,
        introspection_endpoint: `${base}/introspect`,
        grant_types_supported: [TOKEN_EXCHANGE_GRANT_TYPE],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ["none"],
        revocation_endpoint_auth_methods_supported: ["none"],
        introspection_endpoint_auth_methods_supported: ["bearer"],
        service_documentation: `${base}/docs`,
        audiences_supported: config.audiences,
        // RFC 9449 §5.1: the algorithms a proof may be signed with at /token.
        dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGORITHMS],
        // RFC 9396 §10: the detail types /token and PATs accept (none declared: not advertised).
        ...(config.authorizationTypes.size > 0
          ? { authorization_details_types_supported: [...config.authorizationTypes.keys()] }
          : {}),
      });
    },
  );
}
