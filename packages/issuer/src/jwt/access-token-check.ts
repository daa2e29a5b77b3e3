import {
  type AuthContext,
  createVerifier,
  type DenyList,
  type VerifiableRequest,
  VerifierError,
} from "@patgate/verifier";
import type { RedisConnection } from "../redis/connection.js";
import type { SigningKeys } from "./signing-keys.js";

/** The claims of a verified patgate JWT. */
export interface VerifiedAccessToken {
  readonly sub: string;
  readonly clientId: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly roles: readonly string[];
  readonly scope: string;
  readonly aud: string | readonly string[];
  readonly iss: string;
  /** `cnf.jkt` of a DPoP-bound JWT: the thumbprint of the key it is bound to. */
  readonly cnfJkt?: string;
  /** The RFC 9396 `authorization_details` claim, as minted (absent when none). */
  readonly authorizationDetails?: readonly unknown[];
}

export type AccessTokenCheck =
  | { readonly ok: true; readonly token: VerifiedAccessToken }
  | { readonly ok: false; readonly reason: "invalid" | "denied" };

/**
 * What a request's credentials are: the token, or why not. Beyond
 * {@link AccessTokenCheck}: none sent (`missing`), a bound JWT as `Bearer`
 * (`dpop_required`), a refused proof (`dpop_invalid`), the replay check full or unreachable (`busy`).
 */
export type RequestCredentialsCheck =
  | AccessTokenCheck
  | { readonly ok: false; readonly reason: "missing" | "dpop_required" | "busy" }
  | { readonly ok: false; readonly reason: "dpop_invalid"; readonly description: string };

/** Checks the JWTs this issuer minted (see {@link createAccessTokenChecker}). */
export interface AccessTokenChecker {
  /**
   * Verifies a JWT this issuer minted: signature, `typ`, `iss`, `aud` (any
   * audience it serves, or its admin audience), `exp`, required claims, and no
   * deny-list entry. It says who the token is, not what it may do.
   */
  check(jwt: string): Promise<AccessTokenCheck>;
  /**
   * Checks a request's `Authorization` as a resource server does: a bearer
   * JWT, or a bound JWT only as `DPoP <jwt>` with a proof for this request
   * (`htu` = the issuer's URL + the request's path; `jti` replay per process,
   * or by every issuer sharing the Redis).
   */
  checkRequest(request: VerifiableRequest): Promise<RequestCredentialsCheck>;
  close(): Promise<void>;
}

export interface AccessTokenCheckerOptions {
  /** The issuer's `iss`, its service audiences and the admin audience (see `IssuerConfig`). */
  readonly config: {
    readonly issuer: string;
    readonly audiences: readonly string[];
    readonly adminAudience: string;
  };
  /** The issuer's signing keys: their public JWKS is read on every key lookup, so a rotation needs no rebuild. */
  readonly keys: SigningKeys;
  /** The issuer's own view of the deny-list. */
  readonly denyList: DenyList;
  readonly now: () => number;
  /** The issuer's Redis: proofs at the admin API and /introspect are then remembered there, for every issuer. */
  readonly replayRedis?: { readonly redis: RedisConnection; readonly keyPrefix: string };
}

/**
 * One verifier for the issuer's life: the same checks every service makes
 * with @patgate/verifier, against this issuer's own keys and deny view (no
 * JWKS fetch, no Redis follower).
 *
 * @example createAccessTokenChecker({ config, keys, denyList: revocation.denyView, now }).check(jwt)
 */
export function createAccessTokenChecker(options: AccessTokenCheckerOptions): AccessTokenChecker {
  const { config, keys, now } = options;
  const verifier = createVerifier({
    issuer: config.issuer,
    // The admin audience too: the admin API and /introspect decide what it may do (admin-auth.ts).
    audience: [...config.audiences, config.adminAudience],
    jwks: () => keys.publicJwks(Math.floor(now() / 1000)),
    denyList: options.denyList,
    // The admin API's and /introspect's callers' proofs name the issuer's public URL.
    publicUrl: config.issuer,
    now,
    // A proof replayed to another issuer is refused too (the same keys as the proofs at /token).
    ...(options.replayRedis ? { dpop: { replay: options.replayRedis } } : {}),
  });
  return {
    async check(jwt) {
      try {
        // Who the token is, bound or not: a DPoP-bound JWT's proof is its resource server's to check.
        return { ok: true, token: verifiedToken(await verifier.verify(jwt, { acceptBound: true })) };
      } catch (error) {
        return refusal(error);
      }
    },
    async checkRequest(request) {
      try {
        return { ok: true, token: verifiedToken(await verifier.verifyRequest(request)) };
      } catch (error) {
        if (!(error instanceof VerifierError)) throw error;
        if (error.code === "token_missing") return { ok: false, reason: "missing" };
        if (error.code === "dpop_required") return { ok: false, reason: "dpop_required" };
        if (error.code === "invalid_dpop_proof")
          return { ok: false, reason: "dpop_invalid", description: error.message };
        if (error.code === "dpop_replay_full" || error.code === "dpop_replay_unavailable")
          return { ok: false, reason: "busy" };
        return refusal(error);
      }
    },
    close: () => verifier.close(),
  };
}

function verifiedToken(auth: AuthContext): VerifiedAccessToken {
  const { aud, iss } = auth.claims;
  const cnf = auth.claims.cnf as { jkt?: unknown } | undefined;
  const cnfJkt = typeof cnf?.jkt === "string" ? cnf.jkt : undefined;
  const details = auth.claims.authorization_details;
  return {
    sub: auth.sub,
    clientId: auth.tokenId,
    jti: auth.jti,
    iat: auth.claims.iat,
    exp: auth.expiresAt,
    roles: auth.roles,
    scope: auth.scope,
    aud,
    iss,
    ...(cnfJkt === undefined ? {} : { cnfJkt }),
    ...(Array.isArray(details) ? { authorizationDetails: details } : {}),
  };
}

function refusal(error: unknown): AccessTokenCheck {
  if (error instanceof VerifierError && error.code === "token_denied") return { ok: false, reason: "denied" };
  if (error instanceof VerifierError) return { ok: false, reason: "invalid" };
  throw error;
}
