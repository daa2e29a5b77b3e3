import { ACCEPTED_TYPS, SIGNING_ALGORITHMS } from "@patgate/shared";
import { createLocalJWKSet, type JWTPayload, jwtVerify } from "jose";
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
  readonly aud: string | string[];
  readonly iss: string;
}

export type AccessTokenCheck =
  | { readonly ok: true; readonly token: VerifiedAccessToken }
  | { readonly ok: false; readonly reason: "invalid" | "denied" };

/**
 * Verifies a JWT this issuer minted, with its own current keys and deny view:
 * signature, `typ`, `iss`, `aud` (any audience it serves), `exp`, required
 * claims, and no deny-list entry.
 */
export async function checkAccessToken(ctx: IssuerContext, jwt: string): Promise<AccessTokenCheck> {
  const nowMs = ctx.now();
  let payload: JWTPayload;
  try {
    const jwks = createLocalJWKSet(
      ctx.keys.publicJwks(Math.floor(nowMs / 1000)) as Parameters<typeof createLocalJWKSet>[0],
    );
    ({ payload } = await jwtVerify(jwt, jwks, {
      issuer: ctx.config.issuer,
      audience: [...ctx.config.audiences],
      algorithms: [...SIGNING_ALGORITHMS],
      currentDate: new Date(nowMs),
      clockTolerance: 5,
      requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"],
    }));
    const header = JSON.parse(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString("utf8")) as { typ?: unknown };
    if (typeof header.typ !== "string" || !ACCEPTED_TYPS.includes(header.typ.toLowerCase()))
      return { ok: false, reason: "invalid" };
  } catch {
    return { ok: false, reason: "invalid" };
  }
  const {
    sub,
    jti,
    iat,
    exp,
    client_id: clientId,
    roles,
    scope,
    aud,
    iss,
  } = payload as JWTPayload & Record<string, unknown>;
  if (
    typeof sub !== "string" ||
    typeof jti !== "string" ||
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    typeof clientId !== "string" ||
    typeof iss !== "string" ||
    aud === undefined ||
    !Array.isArray(roles) ||
    !roles.every((r) => typeof r === "string")
  ) {
    return { ok: false, reason: "invalid" };
  }
  if (ctx.denyView.check({ jti, client_id: clientId, sub, iat }, Math.floor(nowMs / 1000)))
    return { ok: false, reason: "denied" };
  return {
    ok: true,
    token: {
      sub,
      clientId,
      jti,
      iat,
      exp,
      roles: roles as string[],
      scope: typeof scope === "string" ? scope : "",
      aud,
      iss,
    },
  };
}
