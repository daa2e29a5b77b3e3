import type { AppContext } from "../../context.js";
import { invalidField } from "../../http/http-error.js";
import type { IssuerApp } from "../../http/typed-app.js";
import type { IssueInput } from "../../tokens/types.js";
import { by, nowSeconds, security } from "./route-helpers.js";
import { adminErrors, createBody, tokenRecordSchema } from "./schemas.js";

/** `POST /admin/tokens`: creates a PAT; the token is shown once. */
export async function createTokenRoute(app: IssuerApp, ctx: Pick<AppContext, "now" | "tokenService">): Promise<void> {
  const { tokenService } = ctx;
  app.post(
    "/tokens",
    {
      schema: {
        tags: ["admin"],
        summary: "Create a PAT (the token is shown once)",
        security,
        body: createBody,
        response: {
          201: { type: "object", properties: { token: { type: "string" }, record: tokenRecordSchema } },
          ...adminErrors,
        },
      },
    },
    async (request, reply) => {
      // The schema checks the shape; the store checks every value and names the field at fault.
      const { expiresIn, dpop, ...rest } = request.body;
      // Details pass the schema as any JSON: the store checks them against the declared types.
      const fields = rest as IssueInput;
      let input: IssueInput = dpop === "bind_on_first_use" ? { ...fields, dpopBindOnFirstUse: true } : fields;
      if (dpop !== undefined && rest.dpopJkt !== undefined)
        throw invalidField("dpop", "give dpopJkt or dpop: bind_on_first_use, not both");
      if (expiresIn !== undefined) {
        if (expiresIn <= 0) throw invalidField("expiresIn", "expiresIn must be a positive integer number of seconds");
        if (rest.expiresAt !== undefined) throw invalidField("expiresIn", "give expiresAt or expiresIn, not both");
        input = { ...input, expiresAt: nowSeconds(ctx) + expiresIn };
      }
      const created = await tokenService.create(input, by(request));
      return reply.status(201).header("cache-control", "no-store").send(created);
    },
  );
}
