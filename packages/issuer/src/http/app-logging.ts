import { redactTokens } from "@patgate/shared";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { pino } from "pino";
import type { AppParts } from "../context.js";

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
 * Lines are written to stdout in batches of at least this many bytes, or
 * every {@link LOG_FLUSH_MS}: each write is a job on libuv's thread pool, and
 * one per access line cost warm `/token` about a tenth of its CPU.
 */
const LOG_BATCH_BYTES = 4096;
/** Longest a line waits in the batch: a quiet issuer's lines still show up within it. */
const LOG_FLUSH_MS = 100;

/**
 * The app's logger options: the configured level, secrets redacted, and
 * asynchronous, batched writes to stdout unless the deps bring their own
 * stream. The destination, when one is made, must be flushed on close (pino
 * also flushes it synchronously when the process exits).
 */
export function appLogger(deps: Pick<AppParts, "logger" | "config">): {
  logger: AppLogger;
  destination: ReturnType<typeof pino.destination> | undefined;
} {
  const destination =
    deps.logger === false || (typeof deps.logger === "object" && "stream" in deps.logger)
      ? undefined
      : pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });
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

/**
 * One access line per request (Fastify's own two are off): the hot path of
 * /token pays for every line, so it is written by a child of the app's logger
 * without the redaction pass, which costs several times the rest of the line
 * (about 5 µs against 1 µs a line). Nothing is lost: the line's fields are
 * fixed here and none can hold a secret (the path has its tokens redacted
 * first); every other log line keeps the redaction of {@link REDACTED_LOG_PATHS}.
 * `reqId` is written as `request.log` would bind it, so the line is unchanged
 * (no route sets its own `logLevel`; the child has the app's level).
 */
export function installAccessLog(app: FastifyInstance, tokenPrefix: string): void {
  const access = app.log.child({}, { redact: { paths: [] } });
  app.addHook("onResponse", async (request, reply) => {
    access.info(
      {
        reqId: request.id,
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
