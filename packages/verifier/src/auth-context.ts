import type { AccessTokenClaims } from "@patgate/shared";
import type { AuthorizationCheck } from "./authorization/allows.js";

/** Who is calling, from a verified patgate JWT. */
export interface AuthContext {
  /** The PAT's owner (`sub`). */
  readonly sub: string;
  /** Roles granted to this JWT. */
  readonly roles: readonly string[];
  /** The PAT's token id (`client_id`). */
  readonly tokenId: string;
  readonly jti: string;
  /** Roles space-joined (`scope`). */
  readonly scope: string;
  /** `exp`, epoch seconds. */
  readonly expiresAt: number;
  /** Every claim of the token. */
  readonly claims: AccessTokenClaims & Readonly<Record<string, unknown>>;
  /**
   * Whether the token's RFC 9396 `authorization_details` allow `check`
   * (exact matching; see the README's "Authorization details").
   *
   * @example auth.allows({ type: "repository", action: "write", location: "acme/api" })
   */
  allows(check: AuthorizationCheck): boolean;
}
