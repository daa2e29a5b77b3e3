/** Stable codes of every way `verify` can fail (a bad option is a TypeError from `createVerifier`). */
export type VerifierErrorCode =
  | "token_missing"
  | "token_malformed"
  | "invalid_request"
  | "invalid_signature"
  | "algorithm_not_allowed"
  | "invalid_typ"
  | "invalid_issuer"
  | "invalid_audience"
  | "token_expired"
  | "token_not_yet_valid"
  | "claim_invalid"
  | "unknown_kid"
  | "token_denied"
  | "insufficient_role"
  | "insufficient_authorization"
  | "jwks_unavailable"
  | "deny_list_unavailable"
  | "invalid_dpop_proof"
  | "dpop_required"
  | "dpop_replay_full"
  | "dpop_replay_unavailable"
  | "use_dpop_nonce"
  | "status_list_unavailable";

/** How a code is answered over HTTP (RFC 6750). */
export interface HttpMapping {
  readonly status: number;
  /** The RFC 6750 `error`; absent when no token was sent (a bare `Bearer` challenge). */
  readonly error?:
    | "invalid_request"
    | "invalid_token"
    | "insufficient_scope"
    | "temporarily_unavailable"
    | "invalid_dpop_proof"
    | "use_dpop_nonce";
}

/**
 * One table for every code, used by both adapters. `satisfies` makes it
 * exhaustive: a new code does not compile until it is mapped here.
 */
export const HTTP_MAPPING = {
  token_missing: { status: 401 },
  token_malformed: { status: 401, error: "invalid_token" },
  invalid_request: { status: 400, error: "invalid_request" },
  invalid_signature: { status: 401, error: "invalid_token" },
  algorithm_not_allowed: { status: 401, error: "invalid_token" },
  invalid_typ: { status: 401, error: "invalid_token" },
  invalid_issuer: { status: 401, error: "invalid_token" },
  invalid_audience: { status: 401, error: "invalid_token" },
  token_expired: { status: 401, error: "invalid_token" },
  token_not_yet_valid: { status: 401, error: "invalid_token" },
  claim_invalid: { status: 401, error: "invalid_token" },
  unknown_kid: { status: 401, error: "invalid_token" },
  token_denied: { status: 401, error: "invalid_token" },
  insufficient_role: { status: 403, error: "insufficient_scope" },
  insufficient_authorization: { status: 403, error: "insufficient_scope" },
  jwks_unavailable: { status: 503, error: "temporarily_unavailable" },
  deny_list_unavailable: { status: 503, error: "temporarily_unavailable" },
  invalid_dpop_proof: { status: 401, error: "invalid_dpop_proof" },
  dpop_required: { status: 401, error: "invalid_token" },
  dpop_replay_full: { status: 503, error: "temporarily_unavailable" },
  dpop_replay_unavailable: { status: 503, error: "temporarily_unavailable" },
  use_dpop_nonce: { status: 401, error: "use_dpop_nonce" },
  status_list_unavailable: { status: 503, error: "temporarily_unavailable" },
} as const satisfies Record<VerifierErrorCode, HttpMapping>;

/** A failed verification, with a stable `code` and its HTTP status. */
export class VerifierError extends Error {
  override readonly name = "VerifierError";
  /** HTTP status for this code; also read by Express's default error handler. */
  readonly status: number;
  constructor(
    readonly code: VerifierErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      readonly missingRoles?: readonly string[];
      readonly scheme?: "Bearer" | "DPoP";
      readonly dpopNonce?: string;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = HTTP_MAPPING[code].status;
    this.missingRoles = options?.missingRoles ?? [];
    this.scheme = options?.scheme ?? "Bearer";
    if (options?.dpopNonce !== undefined) this.dpopNonce = options.dpopNonce;
  }
  /** For `use_dpop_nonce`: the fresh nonce to send in the `DPoP-Nonce` header (RFC 9449 §9). */
  readonly dpopNonce?: string;
  /** The scheme of the `WWW-Authenticate` challenge: `DPoP` (RFC 9449 §7.1) for DPoP requests and policy. */
  readonly scheme: "Bearer" | "DPoP";
  /** For `insufficient_role`: the roles the token lacks. */
  readonly missingRoles: readonly string[];
  get statusCode(): number {
    return this.status;
  }
}
