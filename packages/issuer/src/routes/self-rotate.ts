import { parsePat } from "@patgate/shared";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { invalidToken, missingToken, rateLimited } from "../http/http-error.js";
import { bearerFromHeader } from "../http/params.js";
import { typed } from "../http/typed-app.js";
import { rotateBody, tokenRecordSchema } from "./admin/schemas.js";

/**
 * `POST /tokens/self/rotate`: the holder of a PAT rotates it with the PAT
 * itself (as GitLab's self-rotation), `Authorization: Bearer <PAT>`. Holding
 * the secret is the proof, as for RFC 7009 revocation.
 */
export async function selfRotateRoute(
  app: FastifyInstance,
  ctx: Pick<AppContext, "audit" | "config" | "failures" | "now" | "store" | "tokenService">,
): Promise<void> {
  const { config, store, tokenService, failures, audit, now } = ctx;
  typed(app).post(
    "/tokens/self/rotate",
    {
      bodyLimit: 1024,
      config: { rateLimit: { max: config.rateLimitPerMinute, timeWindow: "1 minute" } },
      schema: {
        tags: ["token"],
        summary: "Rotate the PAT sent as the bearer token: a new secret, shown once",
        body: rotateBody,
        response: { 200: { type: "object", properties: { token: { type: "string" }, record: tokenRecordSchema } } },
      },
    },
    async (request, reply) => {
      const pat = bearerFromHeader(request.headers.authorization);
      if (pat === undefined) throw missingToken();
      const parsed = parsePat(pat, config.tokenPrefix);
      if (!parsed.ok) throw invalidToken("token_invalid", "the bearer token is not a valid PAT");
      // No body at all is a rotation without grace.
      const { graceSeconds = 0 } = request.body ?? {};
      // The same lock-out as /token: a try reserved before scrypt, per token id and address.
      const reservation = await failures.reserve(parsed.tokenId, request.ip);
      if (!reservation.ok) throw rateLimited(reservation.retryAfterSeconds);
      let result: Awaited<ReturnType<typeof store.verify>>;
      try {
        result = await store.verify(parsed);
      } catch (error) {
        reservation.settle("abandoned");
        throw error;
      }
      reservation.settle(result.ok ? "succeeded" : "failed");
      const at = Math.floor(now() / 1000);
      if (!result.ok) {
        audit.record({
          action: "token.rotate",
          actor: "anonymous",
          tokenId: parsed.tokenId,
          ip: request.ip,
          result: "failure",
          reason: result.reason,
          at,
        });
        throw invalidToken("token_invalid", "the PAT is invalid, revoked or expired");
      }
      // A secret in its grace period cannot rotate the token: only the current one can.
      if (result.secretValidUntil !== undefined) throw invalidToken("secret_superseded");
      const tokenId = result.record.tokenId;
      const rotated = await tokenService.rotateHeld(tokenId, graceSeconds, {
        actor: `holder (${tokenId})`,
        ip: request.ip,
        via: "self",
      });
      return reply.header("cache-control", "no-store").send({ token: rotated.token, record: rotated.record });
    },
  );
}
