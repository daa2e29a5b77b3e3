import formbody from "@fastify/formbody";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { redactTokens, redisKeys } from "@patgate/shared";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import { pino } from "pino";
import { noAudit } from "./audit/audit-event.js";
import { consolePlugin } from "./console/console-plugin.js";
import type { AppDeps, IssuerContext } from "./context.js";
import { createAccessTokenChecker } from "./http/access-token-check.js";
import { installErrorHandling, sendHttpError } from "./http/error-handler.js";
import { rateLimited } from "./http/http-error.js";
import { createIssuerMetrics } from "./metrics/issuer-metrics.js";
import { createPatCache } from "./pat-cache/pat-cache.js";
import { createAddressBudget } from "./rate-limit/address-budget.js";
import { createMemoryFailureLimiter, createRedisFailureLimiter } from "./rate-limit/failure-limiter.js";
import { createSharedRequestLimit } from "./rate-limit/shared-request-limit.js";
import { adminRoutes } from "./routes/admin/index.js";
import { healthRoutes } from "./routes/health.js";
import { leakRoutes } from "./routes/leaks.js";
import { oauthRoutes } from "./routes/oauth.js";
import { selfRotateRoute } from "./routes/self-rotate.js";
import { tokenRoute } from "./routes/token.js";
import { wellKnownRoutes } from "./routes/well-known.js";

/** Log paths that may hold a PAT, a JWT or key material: never written to a log line. */
export const REDACTED_LOG_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "body.subject_token",
  "body.token",
  "subject_token",
  "token",
  "access_token",
  "*.subject_token",
  "*.token",
  "*.access_token",
  "*.d",
  "*.p",
  "*.q",
  "*.dp",
  "*.dq",
  "*.qi",
];

/** Largest request body anywhere (admin bodies included); /token has its own, smaller limit. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Builds the issuer's Fastify app from its dependencies, without listening:
 * tests `inject` into it, `server.ts` listens.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Asynchronous writes: lines logged while a write is in flight go out together in the next one.
  const destination =
    deps.logger === false || (typeof deps.logger === "object" && "stream" in deps.logger)
      ? undefined
      : pino.destination({ dest: 1, sync: false });
  const logger =
    deps.logger === false
      ? false
      : {
          level: deps.config.logLevel,
          redact: { paths: REDACTED_LOG_PATHS, censor: "[redacted]" },
          ...(destination ? { stream: destination } : {}),
          ...(deps.logger === true ? {} : deps.logger),
        };
  const { headersMs, requestMs, keepAliveMs } = deps.config.httpTimeouts;
  const app = Fastify({
    logger,
    // Slow clients (slowloris, a trickled body, a silent socket) are cut off: the headers within
    // headersMs, the whole request within requestMs, and no connection stays silent longer than
    // requestMs while a request is open. Node checks the first two every connectionsCheckingInterval
    // (30 s by default, which would stretch the bound): once a second here.
    http: { headersTimeout: headersMs, requestTimeout: requestMs, connectionsCheckingInterval: 1000 },
    requestTimeout: requestMs,
    connectionTimeout: requestMs,
    // Idle keep-alive connections: longer than a load balancer's idle timeout (see HttpTimeouts).
    keepAliveTimeout: keepAliveMs,
    bodyLimit: BODY_LIMIT_BYTES,
    // Route parameters such as token ids are short; a 10 kB URL segment is refused early.
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    // Strict input: no type coercion, no silent removal of unknown fields; the store names what is wrong.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    forceCloseConnections: "idle",
    // request.ip (per-IP limits, the lock-out, audit, lastUsedIp) is the client behind a trusted
    // proxy; anyone else's X-Forwarded-For is ignored. proxy-addr walks the header from the
    // right and stops at the first address it does not trust, so a forged left part is never used.
    trustProxy: deps.config.trustProxy.length > 0 ? [...deps.config.trustProxy] : false,
    // Errors Fastify raises before routing (a bad URL, a 10 kB path segment) get the same JSON shape.
    frameworkErrors: (error, _request, reply) => sendHttpError(reply, error),
    // One access line per request (below) instead of Fastify's two; the hot path of /token pays for every line.
    logController: new LogController({ disableRequestLogging: true }),
  });
  if (destination) app.addHook("onClose", async () => destination.flushSync());
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        // A PAT or JWT pasted into a URL (a path segment, a query) never reaches the log.
        path: redactTokens(request.url.split("?", 1)[0] ?? "", deps.config.tokenPrefix),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
      },
      "request",
    );
  });

  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createIssuerMetrics();
  // "close" fires once per response, sent or aborted, so the gauge cannot drift.
  metrics.requestsInFlight.set(0);
  const responseClosed = () => metrics.requestsInFlight.add(-1);
  app.addHook("onRequest", (_request, reply, done) => {
    metrics.requestsInFlight.add(1);
    reply.raw.once("close", responseClosed);
    done();
  });
  const { revocation } = deps;
  // Trusted only while every change reaches this process (see RevocationFeed.healthy).
  const patCache = createPatCache({ ttlSeconds: deps.config.patCacheTtlSeconds, trusted: revocation.feed.healthy });
  const failureLimits = {
    perTokenAndAddress: deps.config.failuresPerTokenPerMinute,
    perAddress: deps.config.failuresPerAddressPerMinute,
  };
  const failures = deps.redis
    ? createRedisFailureLimiter(deps.redis, redisKeys(deps.config.redisPrefix), failureLimits)
    : createMemoryFailureLimiter(failureLimits, now);
  const ctx: IssuerContext = {
    ...deps,
    now,
    audit: deps.audit ?? noAudit,
    revoker: revocation.revoker,
    patCache,
    denyView: revocation.denyView,
    metrics,
    failures,
    outbox: revocation.outbox,
    coldExchanges: createAddressBudget({ perMinute: deps.config.coldExchangesPerMinute, now }),
    events: revocation.events,
    accessTokens: createAccessTokenChecker({
      config: deps.config,
      keys: deps.keys,
      denyList: revocation.denyView,
      now,
    }),
  };
  app.addHook("onClose", () => ctx.accessTokens.close());

  // Every revocation this process hears of evicts the cached PATs it covers.
  const unsubscribe = revocation.feed.subscribe({
    event: (event) => patCache.apply(event),
    reset: () => patCache.clear(),
  });
  app.addHook("onClose", async () => unsubscribe());

  await app.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
  // With Redis, the per-IP limit is shared by every issuer, without a Redis round trip per request.
  const requestLimit = deps.redis
    ? createSharedRequestLimit(deps.redis, { keyPrefix: redisKeys(deps.config.redisPrefix).rateLimit("ip:") })
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
              `A JWT from POST /token. The admin API takes only one minted with audience=${deps.config.adminAudience} ` +
              "from an admin PAT, without scope; /introspect also takes one carrying the introspect role.",
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  installErrorHandling(app);

  await app.register(async (scope) => tokenRoute(scope, ctx));
  await app.register(async (scope) => selfRotateRoute(scope, ctx));
  await app.register(async (scope) => leakRoutes(scope, ctx));
  await app.register(async (scope) => oauthRoutes(scope, ctx));
  await app.register(async (scope) => wellKnownRoutes(scope, ctx));
  await app.register(async (scope) => healthRoutes(scope, ctx));
  await app.register(async (scope) => adminRoutes(scope, ctx), { prefix: "/admin" });
  if (deps.console !== false)
    await app.register(async (scope) => consolePlugin(scope, { ctx }), { prefix: "/console" });
  return app;
}
