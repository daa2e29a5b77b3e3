import { INTROSPECT_ROLE } from "@patgate/shared";
import type { FastifyRequest } from "fastify";
import type { IssuerContext } from "../context.js";
import type { TokenRecord } from "../tokens/types.js";
import { checkAccessToken, type VerifiedAccessToken } from "./access-token-check.js";
import { insufficientScope, invalidToken, missingToken } from "./http-error.js";
import { bearerFromHeader } from "./params.js";

/** Who is calling an admin endpoint: the verified JWT and the PAT behind it. */
export interface AdminPrincipal {
  readonly token: VerifiedAccessToken;
  readonly pat: TokenRecord;
  /** `owner (tokenId)`, for the audit trail. */
  readonly actor: string;
}

function bearer(request: FastifyRequest): string {
  let token: string | undefined;
  try {
    token = bearerFromHeader(request.headers.authorization);
  } catch {
    throw invalidToken("the Authorization header must be 'Bearer <jwt>'");
  }
  if (token === undefined) throw missingToken();
  return token;
}

/**
 * Authenticates a caller by a JWT from this issuer, then loads its PAT: the
 * PAT must still be active and allowed (`admin`, or for introspection an
 * `introspect` role), so revoking or demoting an admin PAT takes effect at once.
 */
export async function authenticate(
  ctx: IssuerContext,
  request: FastifyRequest,
  need: "admin" | "introspect",
): Promise<AdminPrincipal> {
  const jwt = bearer(request);
  const checked = await checkAccessToken(ctx, jwt);
  if (!checked.ok)
    throw invalidToken(checked.reason === "denied" ? "the token has been revoked" : "the token is invalid or expired");
  const { token } = checked;
  const pat = await ctx.store.get(token.clientId).catch((error: unknown) => {
    if ((error as { code?: string }).code === "validation_error") return null;
    throw error;
  });
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (!pat || pat.isRevoked || (pat.expiresAt !== undefined && pat.expiresAt <= nowSeconds)) {
    throw invalidToken("the token's PAT is revoked or expired");
  }
  const allowed = pat.isAdmin || (need === "introspect" && token.roles.includes(INTROSPECT_ROLE));
  if (!allowed) {
    throw insufficientScope(
      need === "admin" ? "an admin token is required" : "an admin or introspect token is required",
      need === "admin" ? "admin" : INTROSPECT_ROLE,
    );
  }
  return { token, pat, actor: `${pat.owner} (${pat.tokenId})` };
}
