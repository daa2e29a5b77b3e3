import formbody from "@fastify/formbody";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import type { AppParts } from "../context.js";
import { createSharedRequestLimit } from "../rate-limit/shared-request-limit.js";
import { rateLimited } from "./http-error.js";

/**
 * The plugins every route relies on: form bodies, the per-IP rate limit
 * (shared through Redis when there is one) and the OpenAPI document at /docs.
 */
export async function registerAppPlugins(
  app: FastifyInstance,
  deps: Pick<AppParts, "config" | "redis">,
  bodyLimit: number,
): Promise<void> {
  const { config } = deps;
  await app.register(formbody, { bodyLimit });
  // With Redis, the per-IP limit is shared by every issuer, without a Redis round trip per request.
  const requestLimit = deps.redis
    ? createSharedRequestLimit(deps.redis, { keyPrefix: config.redisKeys.rateLimit("ip:") })
    : undefined;
  if (requestLimit) app.addHook("onClose", () => requestLimit.close());
  await app.register(rateLimit, {
    global: false,
    ...(requestLimit ? { store: requestLimit.Store } : {}),
    skipOnError: true,
    // Under the limit, no x-ratelimit-* headers: three headers on every exchange cost more than
    // they tell. A 429 still carries Retry-After (and the x-ratelimit-* headers).
    addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
    errorResponseBuilder: (_request, context) => rateLimited(context.ttl / 1000),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: "patgate issuer",
        version: "0.1.0",
        description: "Exchange personal access tokens for short-lived JWTs; manage and revoke tokens.",
      },
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description:
              `A JWT from POST /token. The admin API takes only one minted with audience=${config.adminAudience} ` +
              "from an admin PAT, without scope; /introspect also takes one carrying the introspect role.",
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
}
