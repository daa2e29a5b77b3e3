import type { AppContext } from "../../context.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { by, security } from "./route-helpers.js";
import { adminErrors, propagationSchema, rotateBody, tokenIdParams, tokenRecordSchema } from "./schemas.js";

/** `POST /admin/tokens/{tokenId}/rotate`: a new secret, the old one working for a grace period. */
export async function rotateTokenRoute(app: IssuerApp, ctx: Pick<AppContext, "tokenService">): Promise<void> {
  const { tokenService } = ctx;
  app.post(
    "/tokens/:tokenId/rotate",
    {
      schema: {
        tags: ["admin"],
        summary: "Rotate a PAT: a new secret (shown once); the old one works for graceSeconds more",
        security,
        params: tokenIdParams,
        body: rotateBody,
        response: {
          200: {
            type: "object",
            properties: { token: { type: "string" }, record: tokenRecordSchema, propagation: propagationSchema },
          },
          ...adminErrors,
        },
      },
    },
    async (request, reply) => {
      const { tokenId } = request.params;
      // No body at all is a rotation without grace.
      const { graceSeconds = 0 } = request.body ?? {};
      const rotated = await tokenService.rotate(tokenId, graceSeconds, by(request));
      return reply
        .header("cache-control", "no-store")
        .send({ token: rotated.token, record: rotated.record, propagation: rotated.propagation });
    },
  );
}
