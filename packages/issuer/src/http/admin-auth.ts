import { DPOP_SIGNING_ALGORITHMS, INTROSPECT_ROLE } from "@patgate/shared";
import type { FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import type { VerifiedAccessToken } from "../jwt/access-token-check.js";
import type { TokenRecord } from "../tokens/types.js";
import { dpopChallenge, insufficientScope, invalidToken, missingToken, unavailable } from "./http-error.js";

/** Who is calling an admin endpoint: the verified JWT and the PAT behind it. */
export interface AdminPrincipal {
  readonly token: VerifiedAccessToken;
  readonly pat: TokenRecord;
  /** `owner (tokenId)`, for the audit trail. */
  readonly actor: string;
}

/**
 * The caller's verified JWT: a bearer JWT, or a DPoP-bound one only as
 * `DPoP <jwt>` with a proof for this request (like any resource server: a
 * bound admin JWT copied from a log is worth nothing without its key).
 */
async function callerToken(
  ctx: Pick<AppContext, "accessTokens">,
  request: FastifyRequest,
): Promise<VerifiedAccessToken> {
  const checked = await ctx.accessTokens.checkRequest({
    method: request.method,
    url: request.url,
    headers: request.headers,
  });
  if (checked.ok) return checked.token;
  switch (checked.reason) {
    case "missing":
      throw missingToken();
    case "dpop_required":
      throw dpopChallenge("token_dpop_required", ISSUER_DPOP_REQUIRED, DPOP_SIGNING_ALGORITHMS);
    case "dpop_invalid":
      throw dpopChallenge("token_dpop_proof_invalid", checked.description, DPOP_SIGNING_ALGORITHMS);
    case "busy":
      throw unavailable();
    default:
      throw invalidToken(checked.reason === "denied" ? "token_revoked" : "token_invalid");
  }
}

const ISSUER_DPOP_REQUIRED = "the token is bound to a key: send it as 'DPoP <token>' with a DPoP proof";

/**
 * True when a verified JWT is an admin credential: minted for the admin
 * audience (and no other) from a PAT that is an admin now, and carrying every
 * role that PAT holds now. The last rule is what "not down-scoped away from
 * admin" means: a JWT narrowed with `scope` (or minted before a role was
 * added to its PAT) is not an admin credential; exchange the PAT again.
 *
 * @example hasAdminAuthority(token, pat, "patgate-admin") // false for a token whose aud is "patgate"
 */
function hasAdminAuthority(token: VerifiedAccessToken, pat: TokenRecord, adminAudience: string): boolean {
  const audiences = typeof token.aud === "string" ? [token.aud] : token.aud;
  if (audiences.length === 0 || audiences.some((aud) => aud !== adminAudience)) return false;
  if (!pat.isAdmin) return false;
  const granted = new Set(token.roles);
  return pat.roles.every((role) => granted.has(role));
}

/**
 * The caller's PAT as it is now: from the PAT cache's records by id when it
 * holds it (evicted by every change to the PAT or its owner, trusted only
 * while this issuer hears every change: the rules the exchange relies on),
 * else read from the store and kept there. Saves a store read on every admin call.
 */
async function currentPat(
  ctx: Pick<AppContext, "now" | "store" | "patCache">,
  tokenId: string,
): Promise<TokenRecord | null> {
  const cached = ctx.patCache.getRecord(tokenId, ctx.now());
  if (cached) return cached.record;
  const ticket = ctx.patCache.ticket();
  const readAt = ctx.now();
  const pat = await ctx.store.get(tokenId).catch((error: unknown) => {
    if ((error as { code?: string }).code === "validation_error") return null;
    throw error;
  });
  if (pat) ctx.patCache.setRecord(pat, readAt, ticket);
  return pat;
}

/**
 * Authenticates a caller by a JWT from this issuer, then loads its PAT, so
 * revoking or demoting an admin PAT takes effect at once. What the JWT may do:
 * - `admin` (every `/admin` route): {@link hasAdminAuthority}. A JWT minted for
 *   a service audience never is one, whoever's PAT it came from.
 * - `introspect` (`POST /introspect`): an admin credential as above, or a JWT
 *   of any audience of this issuer whose roles include `introspect`.
 * A valid JWT without that authority is a 403 `insufficient_scope` (RFC 6750 §3.1).
 */
export async function authenticate(
  ctx: Pick<AppContext, "accessTokens" | "config" | "now" | "store" | "patCache">,
  request: FastifyRequest,
  need: "admin" | "introspect",
): Promise<AdminPrincipal> {
  const token = await callerToken(ctx, request);
  const pat = await currentPat(ctx, token.clientId);
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (!pat || pat.isRevoked || (pat.expiresAt !== undefined && pat.expiresAt <= nowSeconds)) {
    throw invalidToken("pat_inactive");
  }
  const admin = hasAdminAuthority(token, pat, ctx.config.adminAudience);
  const allowed = admin || (need === "introspect" && token.roles.includes(INTROSPECT_ROLE));
  if (!allowed) {
    throw insufficientScope(
      need === "admin"
        ? `an admin token is required: exchange an admin PAT with audience=${ctx.config.adminAudience}, without scope`
        : "an admin or introspect token is required",
      need === "admin" ? "admin" : INTROSPECT_ROLE,
    );
  }
  return { token, pat, actor: `${pat.owner} (${pat.tokenId})` };
}
