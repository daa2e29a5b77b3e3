import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import type { TokenUpdate } from "../../tokens/types.js";
import { audited, by, changeResponse, objectBody, security } from "./route-helpers.js";
import { tokenIdParams, updateBody } from "./schemas.js";

/** `PATCH /admin/tokens/{tokenId}`: changes a PAT; a restricting change denies the JWTs minted before. */
export async function updateTokenRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  const { revoker } = ctx;
  app.patch(
    "/tokens/:tokenId",
    {
      schema: {
        tags: ["admin"],
        summary: "Update a PAT: owner, admin flag, name, expiry, roles (replace / add / remove)",
        description:
          "Removing roles, dropping admin, changing the owner or bringing the expiry forward denies every JWT minted before.",
        security,
        params: tokenIdParams,
        body: updateBody,
        response: changeResponse,
      },
    },
    async (request) => {
      const { tokenId } = request.params as { tokenId: string };
      const changes = objectBody(request) as TokenUpdate;
      return audited(
        ctx,
        request,
        "token.update",
        { tokenId, details: { fields: Object.keys(changes).join(",") } },
        () => revoker.updateToken(tokenId, changes, by(request)),
      );
    },
  );
}
