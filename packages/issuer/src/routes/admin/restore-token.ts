import type { AppContext } from "../../context.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { by, changeResponse, security } from "./route-helpers.js";
import { tokenIdParams } from "./schemas.js";

/** `POST /admin/tokens/{tokenId}/restore`: lifts a revocation for JWTs minted from now on. */
export async function restoreTokenRoute(app: IssuerApp, ctx: Pick<AppContext, "tokenService">): Promise<void> {
  const { tokenService } = ctx;
  app.post(
    "/tokens/:tokenId/restore",
    {
      schema: {
        tags: ["admin"],
        summary: "Restore a revoked PAT (JWTs minted before the revocation stay denied)",
        security,
        params: tokenIdParams,
        response: changeResponse,
      },
    },
    async (request) => {
      const { tokenId } = request.params;
      return tokenService.restore(tokenId, by(request));
    },
  );
}
