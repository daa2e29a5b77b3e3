import type { AppContext } from "../../context.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { by, changeResponse, security } from "./route-helpers.js";
import { tokenIdParams } from "./schemas.js";

/** `POST /admin/tokens/{tokenId}/revoke`: revokes a PAT and every JWT minted from it. */
export async function revokeTokenRoute(app: IssuerApp, ctx: Pick<AppContext, "tokenService">): Promise<void> {
  const { tokenService } = ctx;
  app.post(
    "/tokens/:tokenId/revoke",
    {
      schema: {
        tags: ["admin"],
        summary: "Revoke a PAT: every JWT minted from it is denied",
        security,
        params: tokenIdParams,
        response: changeResponse,
      },
    },
    async (request) => {
      const { tokenId } = request.params;
      return tokenService.revoke(tokenId, by(request));
    },
  );
}
