import { createVerifier, type Verifier, VerifierError } from "@patgate/verifier";
import type { IssuerContext } from "../context.js";

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
}

export type AccessTokenCheck =
  | { readonly ok: true; readonly token: VerifiedAccessToken }
  | { readonly ok: false; readonly reason: "invalid" | "denied" };

/** The verifier of one issuer, rebuilt when the set of published keys changes (a rotation). */
interface OwnVerifier {
  readonly kids: string;
  readonly verifier: Verifier;
}
const verifiers = new WeakMap<IssuerContext, OwnVerifier>();

function ownVerifier(ctx: IssuerContext): Verifier {
  const jwks = ctx.keys.publicJwks(Math.floor(ctx.now() / 1000));
  const kids = jwks.keys.map((k) => k.kid).join(" ");
  const current = verifiers.get(ctx);
  if (current?.kids === kids) return current.verifier;
  // The same checks every service makes with @patgate/verifier, against this
  // issuer's own keys and deny view: no JWKS fetch, no Redis follower.
  const verifier = createVerifier({
    issuer: ctx.config.issuer,
    // The admin audience too: the admin API and /introspect decide what it may do (admin-auth.ts).
    audience: [...ctx.config.audiences, ctx.config.adminAudience],
    jwks,
    denyList: ctx.denyView,
    now: ctx.now,
  });
  verifiers.set(ctx, { kids, verifier });
  return verifier;
}

/**
 * Verifies a JWT this issuer minted: signature, `typ`, `iss`, `aud` (any
 * audience it serves, or its admin audience), `exp`, required claims, and no
 * deny-list entry. It says who the token is, not what it may do.
 */
export async function checkAccessToken(ctx: IssuerContext, jwt: string): Promise<AccessTokenCheck> {
  try {
    const auth = await ownVerifier(ctx).verify(jwt);
    const { aud, iss } = auth.claims;
    return {
      ok: true,
      token: {
        sub: auth.sub,
        clientId: auth.tokenId,
        jti: auth.jti,
        iat: auth.claims.iat,
        exp: auth.expiresAt,
        roles: auth.roles,
        scope: auth.scope,
        aud,
        iss,
      },
    };
  } catch (error) {
    if (error instanceof VerifierError && error.code === "token_denied") return { ok: false, reason: "denied" };
    if (error instanceof VerifierError) return { ok: false, reason: "invalid" };
    throw error;
  }
}
