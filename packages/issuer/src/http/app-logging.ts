import { redactTokens } from "@patgate/shared";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { pino } from "pino";
import type { AppDeps } from "../context.js";

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

/** Fastify's `logger` option: off, or pino's options. */
export type AppLogger = Exclude<FastifyServerOptions["logger"], undefined>;

/**
 * The app's logger options: the configured level, secrets redacted, and
 * asynchronous writes to stdout unless the deps bring their own stream (lines
 * logged while a write is in flight go out together in the next one). The
 * destination, when one is made, must be flushed on close.
 */
export function appLogger(deps: Pick<AppDeps, "logger" | "config">): {
  logger: AppLogger;
  destination: ReturnType<typeof pino.destination> | undefined;
} {
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
  return { logger, destination };
}

/** One access line per request (Fastify's own two are off): the hot path of /token pays for every line. */
export function installAccessLog(app: FastifyInstance, tokenPrefix: string): void {
  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        // A PAT or JWT pasted into a URL (a path segment, a query) never reaches the log.
        path: redactTokens(request.url.split("?", 1)[0] ?? "", tokenPrefix),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
      },
      "request",
    );
  });
}
