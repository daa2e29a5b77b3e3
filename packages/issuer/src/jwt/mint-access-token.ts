import { randomFillSync } from "node:crypto";
import { ACCESS_TOKEN_TYP, isScopeToken } from "@patgate/shared";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import { signJws } from "./sign-jws.js";
import type { SigningKeys } from "./signing-keys.js";

/** What a JWT is minted for: the PAT's record after down-scoping. */
export interface MintInput {
  readonly issuer: string;
  readonly audience: string;
  /** The PAT's owner: `sub`. */
  readonly owner: string;
  /** The PAT's token id: `client_id`. */
  readonly tokenId: string;
  /** Roles granted, already down-scoped; any that is not an OAuth scope token is left out. */
  readonly roles: readonly string[];
  /** The PAT's own expiry (epoch s): the JWT never outlives it. */
  readonly patExpiresAt?: number;
  readonly ttlSeconds: number;
  /** Current time, epoch ms. */
  readonly nowMs: number;
  /** Revision of the PAT record read: `client_rev`, compared with deny marks on the PAT. */
  readonly revision: number;
  /** Revision of the owner read with it: `sub_rev`, compared with deny marks on the owner. */
  readonly ownerRevision: number;
  /** The thumbprint of the key a DPoP proof was signed with: `cnf.jkt` (RFC 9449 §6.1). */
  readonly dpopJkt?: string;
  /** Its entry in the Token Status List: `status.status_list` (draft-ietf-oauth-status-list). */
  readonly status?: { readonly idx: number; readonly uri: string };
  /** RFC 9396 details granted: the `authorization_details` claim (absent when none). */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

export interface MintedToken {
  readonly token: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  /** Roles space-joined, as in the `scope` claim. */
  readonly scope: string;
  readonly kid: string;
  /** What the `authorization_details` claim carries (absent when none). */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

/** Random bytes for 256 jtis, filled in one call to the CSPRNG instead of one call per token. */
const JTI_BYTES = 16;
const jtiPool = Buffer.allocUnsafe(JTI_BYTES * 256);
let jtiOffset = jtiPool.length;

/** 128 random bits, base64url: each pool byte is used once, then the pool is refilled. */
function nextJti(): string {
  if (jtiOffset === jtiPool.length) {
    randomFillSync(jtiPool);
    jtiOffset = 0;
  }
  const jti = jtiPool.toString("base64url", jtiOffset, jtiOffset + JTI_BYTES);
  jtiOffset += JTI_BYTES;
  return jti;
}

/**
 * Signs an RFC 9068 access token: header `alg`, `kid`, `typ: at+jwt`; claims
 * `iss sub aud exp iat jti client_id roles scope`. Synchronous: it signs on
 * the event loop (see `signJws`), so no scrypt work ahead of it on the thread
 * pool can delay it.
 */
export function mintAccessToken(keys: SigningKeys, input: MintInput): MintedToken {
  const nowSeconds = Math.floor(input.nowMs / 1000);
  // iat is the real issue time: revocation compares revisions, never clocks.
  const iat = nowSeconds;
  const exp = Math.min(iat + input.ttlSeconds, input.patExpiresAt ?? Number.POSITIVE_INFINITY);
  const jti = nextJti();
  // Roles are OAuth scope tokens; one stored before that rule (a quote, a backslash,
  // non-ASCII) is never granted: joined into `scope` it could split, or break the
  // quoting of a verifier's WWW-Authenticate header. The PAT's other roles still are.
  const roles = input.roles.filter(isScopeToken);
  const scope = roles.join(" ");
  const signing = keys.signingKey(nowSeconds);
  // Claims in the order jose's SignJWT wrote them, so tokens look as they always did.
  const token = signJws(
    signing,
    { alg: signing.alg, kid: signing.kid, typ: ACCESS_TOKEN_TYP },
    {
      client_id: input.tokenId,
      roles,
      // RFC 9068 §2.2.3: no roles, no scope claim (never an empty one).
      ...(scope ? { scope } : {}),
      client_rev: input.revision,
      sub_rev: input.ownerRevision,
      iss: input.issuer,
      sub: input.owner,
      aud: input.audience,
      iat,
      exp,
      jti,
      ...(input.dpopJkt === undefined ? {} : { cnf: { jkt: input.dpopJkt } }),
      ...(input.status === undefined
        ? {}
        : { status: { status_list: { idx: input.status.idx, uri: input.status.uri } } }),
      ...(input.authorizationDetails ? { authorization_details: input.authorizationDetails } : {}),
    },
  );
  return {
    token,
    jti,
    iat,
    exp,
    scope,
    kid: signing.kid,
    ...(input.authorizationDetails ? { authorizationDetails: input.authorizationDetails } : {}),
  };
}
