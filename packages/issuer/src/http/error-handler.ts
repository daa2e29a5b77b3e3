import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { ScryptBusyError } from "../exchange/scrypt-budget.js";
import { ServiceAccountMissingError } from "../service-accounts/service-account.js";
import { StoreUnavailableError, TokenStoreError } from "../tokens/errors.js";
import type { IssuerErrorCode } from "./errors.js";
import { busy, errorBody, HttpError, invalidField, rateLimited, unavailable } from "./http-error.js";

/** The code of each status Fastify (or one of its plugins) raises for a request it refuses. */
const FASTIFY_STATUS_CODES: Readonly<Partial<Record<number, IssuerErrorCode>>> = {
  413: "body_too_large",
  414: "path_too_long",
  415: "content_type_unsupported",
};

/** A store error as a client sees it: the store's message names the field, never a secret. */
function fromStoreError(error: TokenStoreError): HttpError {
  switch (error.code) {
    case "validation_error":
      return error.field !== undefined
        ? invalidField(error.field, error.message)
        : new HttpError("request_invalid", { description: error.message });
    case "not_found":
      return new HttpError("token_not_found");
    case "conflict":
      return new HttpError("token_conflict", {
        description: error.message,
        ...(error.field !== undefined ? { field: error.field } : {}),
      });
  }
}

/** A Fastify error (routing, body parsing, schema validation, rate limit) as a client sees it. */
function fromFastifyError(error: Partial<FastifyError> & { retryAfter?: number }): HttpError {
  const status = error.statusCode;
  if (status === 429) return rateLimited(Number(error.retryAfter ?? 60));
  const code = status === undefined ? undefined : FASTIFY_STATUS_CODES[status];
  if (code !== undefined) return new HttpError(code);
  if (error.validation)
    return new HttpError("request_invalid", { description: `invalid request: ${error.message ?? "bad input"}` });
  if (typeof status === "number" && status >= 400 && status < 500)
    return new HttpError("request_invalid", { description: error.message ?? "bad request" });
  return new HttpError("internal_error");
}

/** Maps any thrown value to the HTTP error a client sees. Only real bugs become a 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof StoreUnavailableError) return unavailable();
  if (error instanceof ScryptBusyError) return busy(error.retryAfterSeconds);
  if (error instanceof ServiceAccountMissingError) return new HttpError("service_account_not_found");
  if (error instanceof TokenStoreError) return fromStoreError(error);
  return fromFastifyError(error as Partial<FastifyError>);
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
    void reply.status(404).send(errorBody(new HttpError("endpoint_not_found")));
  });
}
