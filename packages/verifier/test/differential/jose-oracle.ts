// jose's answer to a token, in the verifier's error codes: `jwtVerify` with the
// options the verifier stands for, then the claim checks the verifier adds.
import { createLocalJWKSet, errors, type JWK, type JWTPayload, jwtVerify } from "jose";
import type { VerifierErrorCode } from "../../src/index.js";
import { AUDIENCE, ISSUER } from "../fixtures.js";

export const ALGORITHMS = ["EdDSA", "ES256", "RS256"];

/** What one side said: accepted (the payload's jti), or the code it refused with. */
export type Verdict = { readonly ok: true; readonly jti: unknown } | { readonly ok: false; readonly code: string };

/** The code the verifier answers for each jose error, as its error table maps them. */
function codeOfJoseError(error: unknown): VerifierErrorCode {
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "invalid_signature";
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return "unknown_kid";
  if (error instanceof errors.JWTExpired) return "token_expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, VerifierErrorCode> = {
      typ: "invalid_typ",
      iss: "invalid_issuer",
      aud: "invalid_audience",
      nbf: "token_not_yet_valid",
    };
    return byClaim[error.claim] ?? "claim_invalid";
  }
  // JWSInvalid, JWTInvalid, JOSENotSupported, and anything else (a key WebCrypto cannot import).
  return "token_malformed";
}

const isNonEmptyString = (v: unknown) => typeof v === "string" && v.length > 0;

/** The claims the verifier needs beyond jose's registered-claim checks (its AuthContext). */
function patgateClaimsOk(payload: JWTPayload): boolean {
  const roles = payload.roles;
  return (
    isNonEmptyString(payload.sub) &&
    Array.isArray(roles) &&
    roles.every((r) => typeof r === "string") &&
    isNonEmptyString(payload.client_id) &&
    isNonEmptyString(payload.jti) &&
    Number.isFinite(payload.exp) &&
    Number.isFinite(payload.iat)
  );
}

export interface OracleSettings {
  readonly nowSeconds: number;
  readonly clockTolerance: number;
  readonly algorithms?: readonly string[];
}

/** jose's verdict on `token` against `jwks`, at `nowSeconds`. */
export async function joseVerdict(token: string, jwks: { keys: JWK[] }, settings: OracleSettings): Promise<Verdict> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [...(settings.algorithms ?? ALGORITHMS)],
      typ: "at+jwt",
      requiredClaims: ["sub", "exp", "iat", "jti"],
      clockTolerance: settings.clockTolerance,
      currentDate: new Date(settings.nowSeconds * 1000),
      // Makes jose check iat, as the verifier does: present, a number, not in the future beyond the tolerance.
      maxTokenAge: Number.MAX_SAFE_INTEGER,
    });
    if (!patgateClaimsOk(payload)) return { ok: false, code: "claim_invalid" };
    return { ok: true, jti: payload.jti };
  } catch (error) {
    return { ok: false, code: codeOfJoseError(error) };
  }
}

/** What the verifier said, in the same shape. */
export async function verifierVerdict(run: Promise<{ readonly jti: string }>): Promise<Verdict> {
  return run.then(
    (auth) => ({ ok: true, jti: auth.jti }),
    (error: unknown) => ({ ok: false, code: (error as { code?: string }).code ?? `not a VerifierError: ${error}` }),
  );
}

/**
 * Where the verifier is stricter than jose by design, so the two are not
 * compared (the verifier must refuse): whitespace in a segment (jose's base64
 * decoder skips it), a byte-order mark before the JSON (jose's UTF-8 decoder
 * drops it), a `crit` naming an extension twice, a token over 8,192
 * characters. Each is documented in the README and pinned in the test.
 */
export function stricterByDesign(token: string): string | undefined {
  if (token.length > 8192) return "longer than 8,192 characters";
  if (/[\t\n\f\r ]/.test(token)) return "whitespace in a segment";
  const [header = "", payload = ""] = token.split(".");
  const bom = (segment: string) =>
    Buffer.from(segment, "base64url")
      .subarray(0, 3)
      .equals(Buffer.from([0xef, 0xbb, 0xbf]));
  if (bom(header) || bom(payload)) return "a byte-order mark before the JSON";
  try {
    const crit = JSON.parse(Buffer.from(header, "base64url").toString("utf8")).crit;
    if (Array.isArray(crit) && new Set(crit).size !== crit.length) return "a crit value listed twice";
  } catch {
    // Not JSON: both sides call it malformed.
  }
  return undefined;
}
