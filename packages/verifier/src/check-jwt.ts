import { ACCESS_TOKEN_TYP, type AccessTokenClaims } from "@patgate/shared";
import type { JWTPayload } from "jose";
import type { AuthContext } from "./auth-context.js";
import { withAllows } from "./authorization/with-allows.js";
import { checkSignature, createJwsParser, decodeJsonSegment, malformed } from "./compact-jws.js";
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
  /** A test clock (epoch ms); absent, the real one. */
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

/** Who the token says is calling, once its signature and claims are checked; `claim_invalid` when a claim is missing or mistyped. */
function authContextOf(payload: JWTPayload): AuthContext {
  // The parsed payload itself, not a copy: it is a fresh object of this token's own, and iat is checked here.
  const claims = payload as AccessTokenClaims & JWTPayload & { iat: number };
  claimOf(payload, "iat", isNumber);
  return withAllows({
    sub: claimOf(payload, "sub", isString),
    roles: claimOf(payload, "roles", isRoles),
    tokenId: claimOf(payload, "client_id", isString),
    jti: claimOf(payload, "jti", isString),
    scope: typeof payload.scope === "string" ? payload.scope : claimOf(payload, "roles", isRoles).join(" "),
    expiresAt: claimOf(payload, "exp", isNumber),
    claims,
  });
}

/** `typ` as jose compares it: case-insensitive, with or without the `application/` prefix. */
function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes("/") ? lower : `application/${lower}`;
}

/** Presence first, in the order jose checks it, so the same token gets the same code. */
const REQUIRED_CLAIMS = ["iss", "aud", "jti", "iat", "exp", "sub"] as const;

function claimFailure(claim: string): VerifierError {
  if (claim === "iss") return new VerifierError("invalid_issuer", "the token's issuer is not accepted");
  if (claim === "aud") return new VerifierError("invalid_audience", "the token's audience is not accepted");
  if (claim === "nbf") return new VerifierError("token_not_yet_valid", "the token is not valid yet");
  return new VerifierError("claim_invalid", `claim ${claim} is invalid`);
}

/** A NumericDate claim: absent, or a number. */
function numericDate(payload: JWTPayload, claim: string): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw claimFailure(claim);
  return value;
}

/** The registered claims and `typ` (RFC 7519 §4.1, RFC 9068 §4), with jose's semantics and our codes. */
function checkClaims(header: Readonly<Record<string, unknown>>, payload: JWTPayload, o: ClaimRules): void {
  if (typeof header.typ !== "string" || normalizeTyp(header.typ) !== o.typ)
    throw new VerifierError("invalid_typ", 'the token is not an access token (typ must be "at+jwt")');
  for (const claim of REQUIRED_CLAIMS) if (!Object.hasOwn(payload, claim)) throw claimFailure(claim);
  if (payload.iss !== o.issuer) throw claimFailure("iss");
  const { aud } = payload;
  const audienceOk =
    typeof aud === "string"
      ? o.audiences.includes(aud)
      : Array.isArray(aud) && o.audiences.some((a) => aud.includes(a));
  if (!audienceOk) throw claimFailure("aud");
  const nowSeconds = Math.floor(o.now() / 1000);
  const iat = numericDate(payload, "iat");
  const nbf = numericDate(payload, "nbf");
  if (nbf !== undefined && nbf > nowSeconds + o.clockTolerance) throw claimFailure("nbf");
  const exp = numericDate(payload, "exp");
  if (exp !== undefined && exp <= nowSeconds - o.clockTolerance)
    throw new VerifierError("token_expired", "the token has expired");
  // Issued in the future beyond the tolerance: jose's check when it is told to look at iat (maxTokenAge).
  if (iat !== undefined && iat > nowSeconds + o.clockTolerance) throw claimFailure("iat");
}

interface ClaimRules {
  readonly typ: string;
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly clockTolerance: number;
  readonly now: () => number;
}

/**
 * The signature and claim checks of a patgate JWT (RFC 9068, RFC 8725):
 * resolves to its AuthContext or rejects with a {@link VerifierError}.
 * The header and algorithm are checked first, the key comes only from the
 * configured JWKS by kid (jku, x5u and an embedded jwk are ignored), the
 * signature is checked synchronously with `node:crypto`, then the claims.
 * Revocation and roles are not its business (see `authorization.ts`).
 */
export function createJwtCheck(options: JwtCheckOptions): (token: string) => Promise<AuthContext> {
  const { keys } = options;
  // Per check, so per verifier: its header cache is shared with no other instance.
  const parse = createJwsParser(new Set(options.algorithms));
  const rules: ClaimRules = {
    typ: normalizeTyp(ACCESS_TOKEN_TYP),
    issuer: options.issuer,
    audiences: [...options.audiences],
    clockTolerance: options.clockTolerance,
    now: options.now ?? Date.now,
  };
  return async (token) => {
    try {
      const jws = parse(token);
      const header = { alg: jws.alg, kid: jws.header.kid };
      const key = keys.keyNow?.(header) ?? (await keys.keyFor(header));
      checkSignature(jws, key);
      if (jws.unencodedPayload) throw malformed("JWTs must not use an unencoded payload");
      const payload = decodeJsonSegment(jws.payload, "payload") as JWTPayload;
      checkClaims(jws.header, payload, rules);
      return authContextOf(payload);
    } catch (error) {
      // Anything not ours (a key that cannot be imported, say) is a malformed token, never a crash.
      throw error instanceof VerifierError ? error : malformed("the token could not be checked", error);
    }
  };
}
