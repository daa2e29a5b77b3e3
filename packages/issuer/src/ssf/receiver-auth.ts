import type { FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import { insufficientScope, invalidToken, missingToken } from "../http/http-error.js";
import { bearerFromHeader } from "../http/params.js";
import { SSF_RECEIVER_ROLE } from "./vocabulary.js";

/** Who manages streams: the owner of the PAT behind the JWT (its streams are the ones it sees). */
export interface Receiver {
  readonly receiver: string;
  /** `owner (tokenId)`, for the log. */
  readonly actor: string;
}

/**
 * Authenticates a receiver (SPEC "Shared Signals"): a JWT of this issuer,
 * minted for the SSF audience and no other, from a PAT that is active now and
 * holds the `ssf-receiver` role (in the JWT and on the PAT: a role taken away
 * counts at once), or an admin PAT. Anything else is a 401 or a 403.
 */
export async function authenticateReceiver(
  ctx: Pick<AppContext, "accessTokens" | "config" | "now" | "store">,
  request: FastifyRequest,
): Promise<Receiver> {
  let jwt: string | undefined;
  try {
    jwt = bearerFromHeader(request.headers.authorization);
  } catch {
    throw invalidToken("token_invalid", "the Authorization header must be 'Bearer <jwt>'");
  }
  if (jwt === undefined) throw missingToken();
  const checked = await ctx.accessTokens.check(jwt);
  if (!checked.ok) throw invalidToken(checked.reason === "denied" ? "token_revoked" : "token_invalid");
  const { token } = checked;
  const audiences = typeof token.aud === "string" ? [token.aud] : token.aud;
  const audience = ctx.config.ssf.audience;
  const pat = await ctx.store.get(token.clientId).catch((error: unknown) => {
    if ((error as { code?: string }).code === "validation_error") return null;
    throw error;
  });
  const nowSeconds = Math.floor(ctx.now() / 1000);
  if (!pat || pat.isRevoked || (pat.expiresAt !== undefined && pat.expiresAt <= nowSeconds))
    throw invalidToken("pat_inactive");
  const forSsf = audiences.length > 0 && audiences.every((aud) => aud === audience);
  const role = token.roles.includes(SSF_RECEIVER_ROLE) && pat.roles.includes(SSF_RECEIVER_ROLE);
  if (!forSsf || !(pat.isAdmin || role))
    throw insufficientScope(
      `a stream-management token is required: exchange a PAT with the ${SSF_RECEIVER_ROLE} role for audience=${audience}`,
      SSF_RECEIVER_ROLE,
    );
  return { receiver: pat.owner, actor: `${pat.owner} (${pat.tokenId})` };
}
