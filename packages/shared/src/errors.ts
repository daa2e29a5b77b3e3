/**
 * Why a PAT failed verification. The order of checks is fixed: format, then
 * lookup, then the stored hash, then the secret, and only then revoked and
 * expired, so that those last two are learned only by a holder of the secret.
 */
export const PAT_VERIFY_FAILURES = [
  "invalid_prefix",
  "invalid_format",
  "not_found",
  "invalid_phc",
  "unsupported_algorithm",
  "invalid_parameters",
  "invalid_secret",
  "revoked",
  "expired",
] as const;
export type PatVerifyFailure = (typeof PAT_VERIFY_FAILURES)[number];

/**
 * OAuth 2.0 error codes patgate answers with (RFC 6749, 6750, 8707), plus
 * `invalid_dpop_proof` and `use_dpop_nonce` (RFC 9449), `invalid_authorization_details` (RFC 9396), `slow_down` (RFC 8628)
 * for a rate-limited client, and the admin API's
 * `not_found` and `conflict`. A code nobody answers with is not listed.
 */
export const OAUTH_ERRORS = [
  "invalid_request",
  "invalid_client",
  "unsupported_grant_type",
  "invalid_scope",
  "invalid_target",
  "invalid_token",
  "insufficient_scope",
  "temporarily_unavailable",
  "slow_down",
  "server_error",
  "not_found",
  "conflict",
  "invalid_dpop_proof",
  "use_dpop_nonce",
  "invalid_authorization_details",
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERRORS)[number];

/** The RFC 6749 §5.2 error body. */
export interface OAuthErrorBody {
  readonly error: OAuthErrorCode;
  readonly error_description?: string;
}
