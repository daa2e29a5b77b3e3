import type { IssuerContext } from "../../context.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { audited, by, changeResponse, security } from "./route-helpers.js";
import { tokenIdParams } from "./schemas.js";

/** `POST /admin/tokens/{tokenId}/revoke`: revokes a PAT and every JWT minted from it. */
export async function revokeTokenRoute(app: IssuerApp, ctx: IssuerContext): Promise<void> {
  const { revoker } = ctx;
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
      ctx.metrics.revocations.inc({ kind: "token" });
      return audited(ctx, request, "token.revoke", { tokenId }, () => revoker.revokeToken(tokenId, by(request)));
    },
  );
}
