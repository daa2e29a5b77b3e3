import type { OAuthErrorCode } from "@patgate/shared";
import { ISSUER_ERRORS, type IssuerErrorCode } from "./errors.js";

export interface HttpErrorOptions {
  /** More precise than the table's default; never the client's input. */
  readonly description?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The input field at fault, for a bad admin input. */
  readonly field?: string;
}

/**
 * An error answered as an RFC 6749 JSON body `{ error, error_code,
 * error_description }` (and `field` for a bad input). The one error shape of
 * every endpoint; status and `error` come from the code's row in
 * {@link ISSUER_ERRORS}.
 *
 * @example throw new HttpError("token_not_found")
 */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly statusCode: number;
  readonly error: OAuthErrorCode;
  readonly description: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly field: string | undefined;

  constructor(
    readonly code: IssuerErrorCode,
    options: HttpErrorOptions = {},
  ) {
    const spec = ISSUER_ERRORS[code];
    const description = options.description ?? spec.description;
    super(description);
    this.statusCode = spec.status;
    this.error = spec.error;
    this.description = description;
    this.headers = options.headers ?? {};
    this.field = options.field;
  }
}

/** 400 `invalid_request` (`request_invalid`): a malformed request. */
export const invalidRequest = (description: string) => new HttpError("request_invalid", { description });

/** 400 `invalid_request` (`field_invalid`): one input, named in `field`, is not acceptable. */
export const invalidField = (field: string, description: string) =>
  new HttpError("field_invalid", { description, field });

/** 401 `invalid_token` with the RFC 6750 challenge. */
export function invalidToken(
  code: "token_invalid" | "token_revoked" | "pat_inactive" | "secret_superseded",
  description?: string,
): HttpError {
  const text = description ?? ISSUER_ERRORS[code].description;
  return new HttpError(code, {
    description: text,
    headers: {
      "www-authenticate": `Bearer error="invalid_token", error_description="${text.replace(/["\\]/g, "")}"`,
    },
  });
}

/**
 * 401 with the DPoP challenge (RFC 9449 §7.1): a bound JWT sent as `Bearer`,
 * or a request whose DPoP proof was refused.
 */
export function dpopChallenge(
  code: "token_dpop_required" | "token_dpop_proof_invalid",
  description: string,
  algorithms: readonly string[],
): HttpError {
  const error = ISSUER_ERRORS[code].error;
  const text = description.replace(/["\\]/g, "");
  return new HttpError(code, {
    description,
    headers: {
      "www-authenticate": `DPoP error="${error}", error_description="${text}", algs="${algorithms.join(" ")}"`,
    },
  });
}

/** 401 with a bare challenge: no credentials were sent at all (RFC 6750 §3.1). */
export function missingToken(): HttpError {
  return new HttpError("token_missing", { headers: { "www-authenticate": "Bearer" } });
}

/** 403 `insufficient_scope` naming what was missing. */
export function insufficientScope(description: string, scope: string): HttpError {
  return new HttpError("role_required", {
    description,
    headers: { "www-authenticate": `Bearer error="insufficient_scope", scope="${scope}"` },
  });
}

/** 503 `temporarily_unavailable` with `Retry-After`: a backing store is down. */
export function unavailable(
  retryAfterSeconds = 5,
  code: "store_unavailable" | "report_backlog_full" = "store_unavailable",
): HttpError {
  return new HttpError(code, { headers: { "retry-after": String(retryAfterSeconds) } });
}

/**
 * 503 `temporarily_unavailable` with `Retry-After`: the issuer shed scrypt
 * work it could not have started in time (a flood of cold exchanges).
 */
export function busy(retryAfterSeconds: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HttpError("issuer_busy", {
    description: `the issuer is busy; retry after ${seconds} s`,
    headers: { "retry-after": String(seconds) },
  });
}

/** 429 `slow_down` with `Retry-After`. */
export function rateLimited(retryAfterSeconds: number): HttpError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new HttpError("rate_limited", {
    description: `too many requests; retry after ${seconds} s`,
    headers: { "retry-after": String(seconds) },
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

/** The error body every endpoint answers with. */
export interface ErrorBody {
  readonly error: OAuthErrorCode;
  readonly error_code: IssuerErrorCode;
  readonly error_description: string;
  readonly field?: string;
}

/** The JSON body of an error. */
export function errorBody(error: HttpError): ErrorBody {
  return {
    error: error.error,
    error_code: error.code,
    error_description: safeDescription(error.description),
    ...(error.field ? { field: error.field } : {}),
  };
}
