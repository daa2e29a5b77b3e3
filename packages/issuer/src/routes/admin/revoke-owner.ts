import { Type } from "typebox";
import type { AppContext } from "../../context.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { checkOwner } from "../../tokens/validation.js";
import { by, security } from "./route-helpers.js";
import { adminErrors, propagationSchema } from "./schemas.js";

/** `POST /admin/owners/{owner}/revoke`: revokes every PAT of an owner at once. */
export async function revokeOwnerRoute(app: IssuerApp, ctx: Pick<AppContext, "tokenService">): Promise<void> {
  const { tokenService } = ctx;
  app.post(
    "/owners/:owner/revoke",
    {
      schema: {
        tags: ["admin"],
        summary: "Revoke every PAT of an owner, and every JWT minted for that owner",
        security,
        params: Type.Object({ owner: Type.String() }),
        response: {
          200: {
            type: "object",
            properties: { owner: { type: "string" }, revoked: { type: "integer" }, propagation: propagationSchema },
          },
          ...adminErrors,
        },
      },
    },
    async (request) => {
      // Checked before anything is recorded: an owner the deny-list cannot carry would sit in the outbox for ever.
      const owner = checkOwner(request.params.owner);
      const result = await tokenService.revokeOwner(owner, by(request));
      return { owner, ...result };
    },
  );
}
