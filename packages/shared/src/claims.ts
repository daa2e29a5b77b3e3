/** The JOSE `typ` patgate writes on access tokens (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = "at+jwt";

/** RFC 8693 grant type for `POST /token`. */
export const TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
/** RFC 8693 token type of a PAT presented as an access token, and of the JWT issued. */
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
/** patgate's own subject token type for a PAT. */
export const PAT_TOKEN_TYPE = "urn:patgate:token-type:pat";

/** Signing algorithms the issuer can use; EdDSA (Ed25519) is the default. */
export const SIGNING_ALGORITHMS = ["EdDSA", "ES256", "RS256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = "EdDSA";

/** Default `aud` when `PATGATE_AUDIENCE` is unset. */
export const DEFAULT_AUDIENCE = "patgate";

/**
 * Default audience of the JWTs the admin API accepts (`PATGATE_ADMIN_AUDIENCE`):
 * only admin PATs get it at `POST /token`, and it is never a service audience.
 *
 * @example POST /token ... audience=patgate-admin
 */
export const DEFAULT_ADMIN_AUDIENCE = "patgate-admin";

/** The role that lets a JWT call `POST /introspect` without being an admin. */
export const INTROSPECT_ROLE = "introspect";

/**
 * Claims of a patgate access token (RFC 9068). `sub` is the PAT's owner,
 * `client_id` the PAT's token id, `roles` the roles granted (after any
 * down-scoping) and `scope` the same roles space-joined.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly roles: readonly string[];
  readonly scope: string;
  /** Revision of the PAT record the token was derived from (see the deny-list contract); absent in older tokens. */
  readonly client_rev?: number;
  /** Revision of the owner the token was derived from; absent in older tokens. */
  readonly sub_rev?: number;
}
