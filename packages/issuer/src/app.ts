import type { Server } from "node:http";
import Fastify, { type FastifyHttpOptions, type FastifyInstance, LogController } from "fastify";
import { consolePlugin } from "./console/console-plugin.js";
import type { AppParts } from "./context.js";
import { createAppContext } from "./context.js";
import { type AppLogger, appLogger, installAccessLog } from "./http/app-logging.js";
import { registerAppPlugins } from "./http/app-plugins.js";
import { answerClientError } from "./http/client-errors.js";
import { installErrorHandling, sendHttpError } from "./http/error-handler.js";
import { adminRoutes } from "./routes/admin/index.js";
import { healthRoutes } from "./routes/health.js";
import { leakRoutes } from "./routes/leaks.js";
import { oauthRoutes } from "./routes/oauth.js";
import { selfRotateRoute } from "./routes/self-rotate.js";
import { tokenRoute } from "./routes/token.js";
import { wellKnownRoutes } from "./routes/well-known.js";
import { pollRoute } from "./ssf/poll-route.js";
import { ssfRoutes } from "./ssf/stream-routes.js";
import { statusListRoutes } from "./status-list/status-route.js";

/** Largest request body anywhere (admin bodies included); /token has its own, smaller limit. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Builds the issuer's Fastify app from its dependencies, without listening:
 * tests `inject` into it, `server.ts` listens.
 */
/** The server's options: bounds on slow clients and input, strict validation, trusted proxies. */
function serverOptions(deps: AppParts, logger: AppLogger): FastifyHttpOptions<Server> {
  const { headersMs, requestMs, keepAliveMs } = deps.config.httpTimeouts;
  return {
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
    // ...and so do requests Node refuses before Fastify sees them (headers over 16 kB, too slow).
    clientErrorHandler: answerClientError,
    // One access line per request (below) instead of Fastify's two; the hot path of /token pays for every line.
    logController: new LogController({ disableRequestLogging: true }),
  };
}

export async function buildApp(deps: AppParts): Promise<FastifyInstance> {
  const { logger, destination } = appLogger(deps);
  const app = Fastify(serverOptions(deps, logger));
  if (destination) app.addHook("onClose", async () => destination.flushSync());
  installAccessLog(app, deps.config.tokenPrefix);

  const ctx = createAppContext(deps);
  app.addHook("onClose", () => ctx.accessTokens.close());
  // "close" fires once per response, sent or aborted, so the gauge cannot drift.
  const { metrics, patCache } = ctx;
  metrics.requestsInFlight.set(0);
  const responseClosed = () => metrics.requestsInFlight.add(-1);
  app.addHook("onRequest", (_request, reply, done) => {
    metrics.requestsInFlight.add(1);
    // `on`, not `once`: a response emits "close" only once, and `once` allocates a wrapper per request.
    reply.raw.on("close", responseClosed);
    done();
  });
  // Every revocation this process hears of evicts the cached PATs it covers.
  const unsubscribe = deps.revocation.feed.subscribe({
    event: (event) => patCache.apply(event),
    reset: () => patCache.clear(),
  });
  app.addHook("onClose", async () => unsubscribe());

  await registerAppPlugins(app, deps, BODY_LIMIT_BYTES);
  installErrorHandling(app);

  await app.register(async (scope) => tokenRoute(scope, ctx));
  await app.register(async (scope) => selfRotateRoute(scope, ctx));
  await app.register(async (scope) => leakRoutes(scope, ctx));
  await app.register(async (scope) => oauthRoutes(scope, ctx));
  await app.register(async (scope) => wellKnownRoutes(scope, ctx));
  await app.register(async (scope) => healthRoutes(scope, ctx));
  const { statusList } = deps;
  if (statusList)
    await app.register(async (scope) =>
      statusListRoutes(scope, {
        publisher: statusList.publisher,
        ttlSeconds: deps.config.statusList?.ttlSeconds ?? 30,
      }),
    );
  await app.register(async (scope) => adminRoutes(scope, ctx), { prefix: "/admin" });
  const { ssf } = deps;
  if (ssf) {
    await app.register(async (scope) => ssfRoutes(scope, { ...ctx, ssf }));
    await app.register(async (scope) => pollRoute(scope, { ...ctx, ssf }));
  }
  if (deps.console !== false)
    await app.register(async (scope) => consolePlugin(scope, { ctx }), { prefix: "/console" });
  return app;
}
