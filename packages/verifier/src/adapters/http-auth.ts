import { DPOP_SIGNING_ALGORITHMS, parseBearer } from "@patgate/shared";
import type { AuthContext } from "../auth-context.js";
import { HTTP_MAPPING, type HttpMapping, VerifierError } from "../errors.js";

/** An error ready to send: status, headers and an RFC 6750 JSON body. */
export interface AuthErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: string; readonly error_description: string };
}

/**
 * The token of an `Authorization: Bearer <token>` header (the scheme is
 * case-insensitive, RFC 6750 §2.1). Null when there is no header at all;
 * `invalid_request` when there is one of another shape.
 *
 * @example bearerToken(req.headers.authorization) // "eyJhbGciOi..." or null
 */
export function bearerToken(header: string | readonly string[] | undefined): string | null {
  const parsed = parseBearer(header);
  if (parsed.ok) return parsed.token;
  if (parsed.reason === "absent") return null;
  if (parsed.reason === "repeated") throw new VerifierError("invalid_request", "send one Authorization header");
  throw new VerifierError("invalid_request", "the Authorization header must be 'Bearer <token>'");
}

/**
 * The token of `Bearer <token>` in its one common spelling, without the full
 * parse: only for looking up the verified-token cache, whose entries are JWTs
 * that `bearerToken` would return unchanged from the same header. Any other
 * spelling gives undefined (parse it with `bearerToken`).
 */
export function commonBearer(header: string | readonly string[] | undefined): string | undefined {
  // No "=" at all: padding (which only the full parse places, at the end) is left to it.
  if (typeof header !== "string" || !header.startsWith("Bearer ") || header.includes("=")) return undefined;
  return header.slice(7);
}

/** Throws `insufficient_role` unless `auth` carries every role. */
export function assertRoles(auth: AuthContext | null | undefined, roles: readonly string[]): AuthContext {
  if (!auth) throw new VerifierError("token_missing", "a bearer token is required");
  const missing = roles.filter((role) => !auth.roles.includes(role));
  if (missing.length > 0)
    throw new VerifierError("insufficient_role", `missing role(s): ${missing.join(" ")}`, { missingRoles: missing });
  return auth;
}

function quoted(text: string): string {
  return text.replace(/["\\\r\n]/g, "");
}

/** The RFC 6750 response for a verifier error; null for anything else (not ours to answer). */
export function authErrorResponse(error: unknown, realm?: string): AuthErrorResponse | null {
  if (!(error instanceof VerifierError)) return null;
  const mapping: HttpMapping = HTTP_MAPPING[error.code];
  const realmPart = realm ? `realm="${quoted(realm)}"` : "";
  // RFC 9449 §7.1: a DPoP challenge names the proof algorithms accepted.
  const schemeParams = error.scheme === "DPoP" ? [`algs="${DPOP_SIGNING_ALGORITHMS.join(" ")}"`] : [];
  const challenge = (params: string[]) =>
    `${error.scheme} ${[realmPart, ...params, ...schemeParams].filter(Boolean).join(", ")}`.trim();
  const headers: Record<string, string> = {};
  let errorName: string = mapping.error ?? "invalid_token";
  if (error.code === "token_missing") {
    // No credentials at all: a bare challenge, no error code (RFC 6750 §3.1).
    headers["www-authenticate"] = challenge([]);
    errorName = "invalid_token";
  } else if (mapping.status === 503) {
    headers["retry-after"] = "5";
  } else if (error.code === "insufficient_role") {
    headers["www-authenticate"] = challenge([
      'error="insufficient_scope"',
      `error_description="${quoted(error.message)}"`,
      `scope="${quoted(error.missingRoles.join(" "))}"`,
    ]);
  } else {
    headers["www-authenticate"] = challenge([`error="${errorName}"`, `error_description="${quoted(error.message)}"`]);
  }
  // RFC 9449 §9: the nonce the next proof must carry.
  if (error.dpopNonce !== undefined) headers["dpop-nonce"] = error.dpopNonce;
  return { status: mapping.status, headers, body: { error: errorName, error_description: error.message } };
}
