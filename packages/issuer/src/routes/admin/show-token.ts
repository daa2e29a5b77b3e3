import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import { HttpError } from "../../http/http-error.js";
import { security } from "./route-helpers.js";
import { adminErrors, tokenIdParams, tokenRecordSchema } from "./schemas.js";

/** `GET /admin/tokens/{tokenId}`: one PAT, never its secret. */
export async function showTokenRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
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
      const { tokenId } = request.params as { tokenId: string };
      const record = await store.get(tokenId);
      if (!record) throw new HttpError("token_not_found");
      return record;
    },
  );
}
