import type { OAuthErrorCode } from "@patgate/shared";

/**
 * An error answered as an RFC 6749 JSON body `{ error, error_description }`
 * (and `field` for a bad admin input). The one error shape of every endpoint.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly statusCode: number,
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly headers: Readonly<Record<string, string>> = {},
    readonly field?: string,
  ) {
    super(description);
  }
}

/** 400 `invalid_request`: a malformed request, or a subject token that cannot be used. */
export const invalidRequest = (description: string, field?: string) =>
  new HttpError(400, "invalid_request", description, {}, field);

/** 401 `invalid_token` with the RFC 6750 challenge. */
export function invalidToken(description: string): HttpError {
  return new HttpError(401, "invalid_token", description, {
    "www-authenticate": `Bearer error="invalid_token", error_description="${description.replace(/["\\]/g, "")}"`,
  });
}

/** 401 with a bare challenge: no credentials were sent at all (RFC 6750 §3.1). */
export function missingToken(): HttpError {
  return new HttpError(401, "invalid_token", "a bearer token is required", { "www-authenticate": "Bearer" });
}

/** 403 `insufficient_scope` naming what was missing. */
export function insufficientScope(description: string, scope: string): HttpError {
  return new HttpError(403, "insufficient_scope", description, {
    "www-authenticate": `Bearer error="insufficient_scope", scope="${scope}"`,
  });
}

/** 503 `temporarily_unavailable` with `Retry-After`: a backing store is down. */
export function unavailable(retryAfterSeconds = 5): HttpError {
  return new HttpError(503, "temporarily_unavailable", "a backing store is unavailable; retry later", {
    "retry-after": String(retryAfterSeconds),
  });
}

/**
 * 503 `temporarily_unavailable` with `Retry-After`: the issuer shed scrypt
 * work it could not have started in time (a flood of cold exchanges).
 */
export function busy(retryAfterSeconds: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HttpError(503, "temporarily_unavailable", `the issuer is busy; retry after ${seconds} s`, {
    "retry-after": String(seconds),
  });
}

/** 429 `slow_down` with `Retry-After`. */
export function rateLimited(retryAfterSeconds: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HttpError(429, "slow_down", `too many requests; retry after ${seconds} s`, {
    "retry-after": String(seconds),
  });
}

/**
 * RFC 6749 §5.2: `error_description` holds only %x20-21 / %x23-5B / %x5D-7E.
 * Anything else (quotes, backslashes, non-ASCII, controls) becomes "?", so a
 * description can never carry markup or break a header it is copied into.
 */
export function safeDescription(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "?").slice(0, 500);
}

/** The JSON body of an error. */
export function errorBody(error: HttpError): { error: OAuthErrorCode; error_description: string; field?: string } {
  return {
    error: error.error,
    error_description: safeDescription(error.description),
    ...(error.field ? { field: error.field } : {}),
  };
}
