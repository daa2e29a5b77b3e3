import { isWellFormedText } from "@patgate/shared";
import { Type } from "typebox";
import type { AppContext } from "../../context.js";
import { invalidField } from "../../http/http-error.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { by, MAX_JTI_LENGTH, nowSeconds, security } from "./route-helpers.js";
import { adminErrors, propagationSchema } from "./schemas.js";

/** `POST /admin/jwts/revoke`: denies one JWT by its `jti`. */
export async function denyJtiRoute(
  app: IssuerApp,
  ctx: Pick<AppContext, "config" | "now" | "tokenService">,
): Promise<void> {
  const { tokenService, config } = ctx;
  app.post(
    "/jwts/revoke",
    {
      schema: {
        tags: ["admin"],
        summary: "Deny one JWT by its jti",
        security,
        body: Type.Object({
          jti: Type.String(),
          expiresAt: Type.Optional(Type.Integer({ description: "the JWT's exp; default: now + the JWT lifetime" })),
        }),
        response: {
          200: { type: "object", properties: { jti: { type: "string" }, propagation: propagationSchema } },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      const { jti, expiresAt: claimedExp } = request.body;
      if (jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
        throw invalidField("jti", `jti must be a string of 1-${MAX_JTI_LENGTH} characters`);
      }
      if (!isWellFormedText(jti))
        throw invalidField("jti", "jti must be well-formed text (no control characters or lone surrogates)");
      const latestExp = nowSeconds(ctx) + config.jwtTtlSeconds;
      let expiresAt = latestExp;
      if (claimedExp !== undefined) {
        if (!Number.isSafeInteger(claimedExp))
          throw invalidField("expiresAt", "expiresAt must be an integer epoch time in seconds");
        // No JWT outlives now + TTL, so a larger value would only bloat the deny-list.
        expiresAt = Math.min(claimedExp, latestExp);
      }
      const result = await tokenService.denyJti(jti, expiresAt, by(request));
      return { jti, ...result };
    },
  );
}
