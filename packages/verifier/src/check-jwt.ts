import { ACCESS_TOKEN_TYP, type AccessTokenClaims } from "@patgate/shared";
import { errors, type JWTHeaderParameters, type JWTPayload, jwtVerify } from "jose";
import type { AuthContext } from "./auth-context.js";
import { VerifierError } from "./errors.js";
import type { KeySource } from "./key-source.js";

/** What a token's signature and claims are checked against. */
export interface JwtCheckOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  /** Seconds of clock skew tolerated. */
  readonly clockTolerance: number;
  readonly keys: KeySource;
  /** A test clock (epoch ms); absent, jose reads the real one. */
  readonly now?: () => number;
}

function claimOf<T>(payload: JWTPayload, name: string, test: (value: unknown) => value is T): T {
  const value = payload[name];
  if (!test(value)) throw new VerifierError("claim_invalid", `claim ${name} is missing or of the wrong type`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isRoles = (v: unknown): v is string[] => Array.isArray(v) && v.every((r) => typeof r === "string");

/** Maps what jose throws to our codes; anything unknown is a malformed token. */
function fromJose(error: unknown): VerifierError {
  if (error instanceof VerifierError) return error;
  if (error instanceof errors.JWTExpired) return new VerifierError("token_expired", "the token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return new VerifierError("invalid_issuer", "the token's issuer is not accepted");
    if (error.claim === "aud") return new VerifierError("invalid_audience", "the token's audience is not accepted");
    if (error.claim === "nbf") return new VerifierError("token_not_yet_valid", "the token is not valid yet");
    if (error.claim === "typ")
      return new VerifierError("invalid_typ", 'the token is not an access token (typ must be "at+jwt")');
    return new VerifierError("claim_invalid", `claim ${error.claim} is invalid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new VerifierError("invalid_signature", "the token's signature is invalid");
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new VerifierError("algorithm_not_allowed", "the token's algorithm is not accepted");
  return new VerifierError("token_malformed", "the token is malformed", { cause: error });
}

/** Who the token says is calling, once jose has checked it; `claim_invalid` when a claim is missing or mistyped. */
function authContextOf(payload: JWTPayload): AuthContext {
  const claims = payload as AccessTokenClaims & JWTPayload;
  return {
    sub: claimOf(payload, "sub", isString),
    roles: claimOf(payload, "roles", isRoles),
    tokenId: claimOf(payload, "client_id", isString),
    jti: claimOf(payload, "jti", isString),
    scope: typeof payload.scope === "string" ? payload.scope : claimOf(payload, "roles", isRoles).join(" "),
    expiresAt: claimOf(payload, "exp", isNumber),
    claims: { ...claims, iat: claimOf(payload, "iat", isNumber) },
  };
}

/**
 * The signature and claim checks of a patgate JWT (RFC 9068, RFC 8725):
 * resolves to its AuthContext or rejects with a {@link VerifierError}.
 * Revocation and roles are not its business (see `authorization.ts`).
 */
export function createJwtCheck(options: JwtCheckOptions): (token: string) => Promise<AuthContext> {
  const { keys, now } = options;
  const verifyOptions = {
    issuer: options.issuer,
    audience: [...options.audiences],
    algorithms: [...options.algorithms],
    // jose compares typ case-insensitively and without "application/", so "application/at+jwt" passes too.
    typ: ACCESS_TOKEN_TYP,
    clockTolerance: options.clockTolerance,
    requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti"],
  };
  // The key comes only from the configured JWKS, by kid: jku, x5u and an embedded jwk are ignored.
  // jose checks alg against the allow-list before it asks for a key.
  const resolveKey = (header: JWTHeaderParameters) =>
    keys.keyFor({ alg: header.alg, ...(typeof header.kid === "string" ? { kid: header.kid } : {}) });

  return async (token) => {
    let payload: JWTPayload;
    try {
      const checks = now ? { ...verifyOptions, currentDate: new Date(now()) } : verifyOptions;
      ({ payload } = await jwtVerify(token, resolveKey, checks));
    } catch (error) {
      throw fromJose(error);
    }
    return authContextOf(payload);
  };
}
