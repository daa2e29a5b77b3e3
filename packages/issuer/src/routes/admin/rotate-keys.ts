import type { AppContext } from "../../context.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { audited, nowSeconds, security } from "./route-helpers.js";
import { adminErrors } from "./schemas.js";

/** `POST /admin/keys/rotate`: adds a signing key, published before it signs. */
export async function rotateKeysRoute(app: IssuerApp, ctx: Pick<AppContext, "audit" | "keys" | "now">): Promise<void> {
  const { keys } = ctx;
  app.post(
    "/keys/rotate",
    {
      schema: {
        tags: ["admin"],
        summary: "Rotate the signing key: the new key is published now and signs after the publish delay",
        security,
        response: {
          200: { type: "object", properties: { kid: { type: "string" }, activatesAt: { type: "integer" } } },
          ...adminErrors,
        },
      },
    },
    async (request) => audited(ctx, request, "keys.rotate", () => keys.rotate(nowSeconds(ctx))),
  );

  // A child of this plugin: the admin authentication above applies to it.
}
