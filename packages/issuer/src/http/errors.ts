import type { OAuthErrorCode } from "@patgate/shared";

/**
 * The stable code of every error the issuer answers with, sent as
 * `error_code` beside the RFC 6749 `error`. Clients and tests match on it;
 * `error_description` is prose and may change.
 */
export const ISSUER_ERROR_CODES = [
  "request_invalid",
  "field_invalid",
  "content_type_unsupported",
  "body_too_large",
  "headers_too_large",
  "request_timeout",
  "path_too_long",
  "method_not_allowed",
  "grant_type_unsupported",
  "client_authentication_unsupported",
  "subject_invalid",
  "subject_revoked",
  "subject_expired",
  "ip_not_allowed",
  "scope_empty",
  "scope_exceeded",
  "admin_scope_narrowed",
  "authorization_details_invalid",
  "authorization_details_exceeded",
  "target_ambiguous",
  "audience_invalid",
  "audience_forbidden",
  "dpop_proof_invalid",
  "dpop_proof_replayed",
  "dpop_required",
  "dpop_key_mismatch",
  "dpop_nonce_required",
  "token_missing",
  "token_invalid",
  "token_revoked",
  "pat_inactive",
  "token_dpop_required",
  "token_dpop_proof_invalid",
  "secret_superseded",
  "role_required",
  "report_unsigned",
  "report_signature_invalid",
  "token_not_found",
  "delivery_not_found",
  "service_account_not_found",
  "endpoint_not_found",
  "stream_not_found",
  "token_conflict",
  "stream_conflict",
  "stream_limit_reached",
  "rate_limited",
  "store_unavailable",
  "issuer_busy",
  "report_backlog_full",
  "internal_error",
] as const;
export type IssuerErrorCode = (typeof ISSUER_ERROR_CODES)[number];

/** What a code answers: its HTTP status, its RFC 6749/6750 `error`, and its default `error_description`. */
export interface IssuerErrorSpec {
  readonly status: number;
  readonly error: OAuthErrorCode;
  readonly description: string;
}

/**
 * The one table from a code to its status and OAuth error. A code without a
 * row, or a row without a code, does not compile. The descriptions are the
 * defaults a site may make more precise; the README lists the same table.
 */
export const ISSUER_ERRORS = {
  request_invalid: { status: 400, error: "invalid_request", description: "the request is malformed" },
  field_invalid: { status: 400, error: "invalid_request", description: "an input is invalid (see field)" },
  content_type_unsupported: {
    status: 400,
    error: "invalid_request",
    description: "unsupported content type; use application/x-www-form-urlencoded or application/json",
  },
  body_too_large: { status: 413, error: "invalid_request", description: "request body too large" },
  headers_too_large: { status: 431, error: "invalid_request", description: "the request's headers are too large" },
  request_timeout: { status: 408, error: "invalid_request", description: "the request took too long to arrive" },
  path_too_long: { status: 414, error: "invalid_request", description: "a path segment is too long" },
  method_not_allowed: {
    status: 405,
    error: "invalid_request",
    description: "the endpoint does not accept this method",
  },
  grant_type_unsupported: {
    status: 400,
    error: "unsupported_grant_type",
    description: "grant_type must be urn:ietf:params:oauth:grant-type:token-exchange",
  },
  client_authentication_unsupported: {
    status: 401,
    error: "invalid_client",
    description: "client authentication is not supported; send only the PAT",
  },
  subject_invalid: { status: 400, error: "invalid_request", description: "subject_token is invalid" },
  subject_revoked: { status: 400, error: "invalid_request", description: "subject_token is revoked" },
  subject_expired: { status: 400, error: "invalid_request", description: "subject_token is expired" },
  ip_not_allowed: {
    status: 400,
    error: "invalid_request",
    description: "subject_token may not be used from this address",
  },
  scope_empty: { status: 400, error: "invalid_scope", description: "scope must name at least one role" },
  scope_exceeded: { status: 400, error: "invalid_scope", description: "scope names roles the token does not hold" },
  admin_scope_narrowed: {
    status: 400,
    error: "invalid_scope",
    description: "the admin audience cannot be down-scoped: leave scope out",
  },
  authorization_details_invalid: {
    status: 400,
    error: "invalid_authorization_details",
    description: "authorization_details is not a valid array of declared authorization details",
  },
  authorization_details_exceeded: {
    status: 400,
    error: "invalid_authorization_details",
    description: "authorization_details asks for more than the token holds",
  },
  target_ambiguous: { status: 400, error: "invalid_target", description: "the request names more than one target" },
  audience_invalid: { status: 400, error: "invalid_target", description: "audience is not one this issuer serves" },
  audience_forbidden: {
    status: 400,
    error: "invalid_target",
    description: "the admin audience is only for admin tokens",
  },
  dpop_proof_invalid: { status: 400, error: "invalid_dpop_proof", description: "the DPoP proof is invalid" },
  dpop_proof_replayed: { status: 400, error: "invalid_dpop_proof", description: "the DPoP proof was used before" },
  dpop_required: {
    status: 400,
    error: "invalid_dpop_proof",
    description: "a DPoP proof is required for this token",
  },
  dpop_key_mismatch: {
    status: 400,
    error: "invalid_dpop_proof",
    description: "the DPoP proof is not signed by the key this token is bound to",
  },
  dpop_nonce_required: {
    status: 400,
    error: "use_dpop_nonce",
    description: "the DPoP proof must carry the server nonce in the DPoP-Nonce header",
  },
  token_missing: { status: 401, error: "invalid_token", description: "a bearer token is required" },
  token_invalid: { status: 401, error: "invalid_token", description: "the token is invalid or expired" },
  token_revoked: { status: 401, error: "invalid_token", description: "the token has been revoked" },
  pat_inactive: { status: 401, error: "invalid_token", description: "the token's PAT is revoked or expired" },
  token_dpop_required: {
    status: 401,
    error: "invalid_token",
    description: "the token is bound to a key: send it as 'DPoP <token>' with a DPoP proof",
  },
  token_dpop_proof_invalid: {
    status: 401,
    error: "invalid_dpop_proof",
    description: "the DPoP proof of this request is invalid",
  },
  secret_superseded: { status: 401, error: "invalid_token", description: "rotate with the current secret" },
  role_required: { status: 403, error: "insufficient_scope", description: "the token lacks the role required" },
  report_unsigned: { status: 401, error: "invalid_client", description: "a signed GitHub report is required" },
  report_signature_invalid: {
    status: 401,
    error: "invalid_client",
    description: "the report's signature does not verify",
  },
  token_not_found: { status: 404, error: "not_found", description: "no such token" },
  service_account_not_found: { status: 404, error: "not_found", description: "no such service account" },
  delivery_not_found: { status: 404, error: "not_found", description: "no such failed delivery" },
  endpoint_not_found: { status: 404, error: "not_found", description: "no such endpoint" },
  stream_not_found: { status: 404, error: "not_found", description: "no such stream" },
  token_conflict: { status: 409, error: "conflict", description: "the token exists or changed concurrently" },
  stream_conflict: { status: 409, error: "conflict", description: "the stream changed concurrently; read it again" },
  stream_limit_reached: { status: 409, error: "conflict", description: "this receiver has the most streams allowed" },
  rate_limited: { status: 429, error: "slow_down", description: "too many requests; retry later" },
  store_unavailable: {
    status: 503,
    error: "temporarily_unavailable",
    description: "a backing store is unavailable; retry later",
  },
  issuer_busy: { status: 503, error: "temporarily_unavailable", description: "the issuer is busy; retry later" },
  report_backlog_full: {
    status: 503,
    error: "temporarily_unavailable",
    description: "a backing store is unavailable; retry later",
  },
  internal_error: { status: 500, error: "server_error", description: "internal error" },
} as const satisfies Record<IssuerErrorCode, IssuerErrorSpec>;
