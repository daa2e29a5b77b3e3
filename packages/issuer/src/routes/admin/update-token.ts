import type { AppContext } from "../../context.js";
import type { IssuerApp } from "../../http/typed-app.js";
import type { TokenUpdate } from "../../tokens/types.js";
import { by, changeResponse, security } from "./route-helpers.js";
import { tokenIdParams, updateBody } from "./schemas.js";

/** `PATCH /admin/tokens/{tokenId}`: changes a PAT; a restricting change denies the JWTs minted before. */
export async function updateTokenRoute(app: IssuerApp, ctx: Pick<AppContext, "tokenService">): Promise<void> {
  const { tokenService } = ctx;
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
      const { tokenId } = request.params;
      // The schema checks the shape; the store checks every value (roles among them) and names the field.
      const changes = (request.body ?? {}) as TokenUpdate;
      return tokenService.update(tokenId, changes, by(request));
    },
  );
}
