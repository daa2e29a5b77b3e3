/**
 * Codes a {@link TokenClientError} carries: the issuer's OAuth `error`
 * (RFC 6749 §5.2 and RFC 8693), or one of the client's own, `network_error`
 * (no HTTP answer) and `invalid_response` (an answer that is not the expected JSON).
 * Any other `error` string the issuer sends is passed through as is.
 */
export type TokenClientErrorCode =
  | "invalid_request"
  | "invalid_scope"
  | "invalid_target"
  | "unsupported_grant_type"
  | "slow_down"
  | "temporarily_unavailable"
  | "invalid_dpop_proof"
  | "use_dpop_nonce"
  | "network_error"
  | "invalid_response"
  // Keeps editor completion for the codes above while accepting any string.
  | (string & Record<never, never>);

/**
 * A token exchange that failed. It never holds the PAT: the client redacts it
 * from anything the issuer echoes back.
 */
export class TokenClientError extends Error {
  override readonly name = "TokenClientError";
  constructor(
    /** What went wrong, stable enough to branch on. */
    readonly code: TokenClientErrorCode,
    /** The issuer's HTTP status; undefined for `network_error`. */
    readonly status: number | undefined,
    /** The issuer's `error_description`, or the client's own explanation. */
    readonly description: string | undefined,
    options?: { cause?: unknown },
  ) {
    const where = status === undefined ? code : `HTTP ${status} ${code}`;
    super(`token exchange failed (${where})${description === undefined ? "" : `: ${description}`}`, options);
  }
}
