import { isWellFormedText } from "@patgate/shared";
import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import { invalidField } from "../../http/http-error.js";
import { audited, MAX_JTI_LENGTH, nowSeconds, objectBody, security } from "./route-helpers.js";
import { adminErrors, propagationSchema } from "./schemas.js";

/** `POST /admin/jwts/revoke`: denies one JWT by its `jti`. */
export async function denyJtiRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  const { revoker, config } = ctx;
  app.post(
    "/jwts/revoke",
    {
      schema: {
        tags: ["admin"],
        summary: "Deny one JWT by its jti",
        security,
        body: {
          type: "object",
          required: ["jti"],
          properties: {
            jti: { type: "string" },
            expiresAt: { type: "integer", description: "the JWT's exp; default: now + the JWT lifetime" },
          },
        },
        response: {
          200: { type: "object", properties: { jti: { type: "string" }, propagation: propagationSchema } },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      const body = objectBody(request);
      const { jti } = body;
      if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
        throw invalidField("jti", `jti must be a string of 1-${MAX_JTI_LENGTH} characters`);
      }
      if (!isWellFormedText(jti))
        throw invalidField("jti", "jti must be well-formed text (no control characters or lone surrogates)");
      const latestExp = nowSeconds(ctx) + config.jwtTtlSeconds;
      let expiresAt = latestExp;
      if (body.expiresAt !== undefined) {
        if (typeof body.expiresAt !== "number" || !Number.isSafeInteger(body.expiresAt)) {
          throw invalidField("expiresAt", "expiresAt must be an integer epoch time in seconds");
        }
        // No JWT outlives now + TTL, so a larger value would only bloat the deny-list.
        expiresAt = Math.min(body.expiresAt, latestExp);
      }
      ctx.metrics.revocations.inc({ kind: "jti" });
      const result = await audited(ctx, request, "jwt.deny", { details: { jti } }, () =>
        revoker.denyJti(jti, expiresAt),
      );
      return { jti, ...result };
    },
  );
}
