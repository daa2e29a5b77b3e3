import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { StoreUnavailableError, TokenStoreError } from "../tokens/errors.js";
import { ScryptBusyError } from "../tokens/scrypt-budget.js";
import { busy, errorBody, HttpError, invalidRequest, rateLimited, unavailable } from "./http-error.js";

/** Maps any thrown value to the HTTP error a client sees. Only real bugs become a 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof StoreUnavailableError) return unavailable();
  if (error instanceof ScryptBusyError) return busy(error.retryAfterSeconds);
  if (error instanceof TokenStoreError) {
    switch (error.code) {
      case "validation_error":
        return invalidRequest(error.message, error.field);
      case "not_found":
        return new HttpError(404, "not_found", "no such token");
      case "conflict":
        return new HttpError(409, "conflict", error.message, {}, error.field);
    }
  }
  const fastifyError = error as Partial<FastifyError> & { retryAfter?: number };
  const status = fastifyError.statusCode;
  if (status === 429) return rateLimited(Number(fastifyError.retryAfter ?? 60));
  if (status === 413) return new HttpError(413, "invalid_request", "request body too large");
  if (status === 414) return new HttpError(414, "invalid_request", "a path segment is too long");
  if (status === 415)
    return invalidRequest("unsupported content type; use application/x-www-form-urlencoded or application/json");
  if (fastifyError.validation) return invalidRequest(`invalid request: ${fastifyError.message ?? "bad input"}`);
  if (typeof status === "number" && status >= 400 && status < 500)
    return invalidRequest(fastifyError.message ?? "bad request");
  return new HttpError(500, "server_error", "internal error");
}

/** Sends an error in the one shape every endpoint uses. */
export function sendHttpError(reply: FastifyReply, error: unknown): void {
  const httpError = toHttpError(error);
  void reply
    .status(httpError.statusCode)
    .headers(httpError.headers)
    .header("cache-control", "no-store")
    .send(errorBody(httpError));
}

/** One error handler and one not-found handler for the whole app, so every error has the same shape. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const httpError = toHttpError(error);
    if (httpError.statusCode >= 500 && httpError.statusCode !== 503)
      request.log.error({ err: error }, "unhandled error");
    else if (httpError.statusCode === 503) request.log.warn({ err: error }, "backing store unavailable");
    sendHttpError(reply, httpError);
  });
  // The path is the client's input (it may even hold a pasted PAT): never echoed back.
  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send({ error: "not_found", error_description: "no such endpoint" });
  });
}
