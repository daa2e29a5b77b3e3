import type { AppContext } from "../../context.js";
import { HttpError } from "../../http/http-error.js";
import type { IssuerApp } from "../../http/typed-app.js";
import { security } from "./route-helpers.js";
import { adminErrors, tokenIdParams, tokenRecordSchema } from "./schemas.js";

/** `GET /admin/tokens/{tokenId}`: one PAT, never its secret. */
export async function showTokenRoute(app: IssuerApp, ctx: Pick<AppContext, "store">): Promise<void> {
  const { store } = ctx;
  app.get(
    "/tokens/:tokenId",
    {
      schema: {
        tags: ["admin"],
        summary: "Show one PAT",
        security,
        params: tokenIdParams,
        response: { 200: tokenRecordSchema, ...adminErrors },
      },
    },
    async (request) => {
      const { tokenId } = request.params;
      const record = await store.get(tokenId);
      if (!record) throw new HttpError("token_not_found");
      return record;
    },
  );
}
