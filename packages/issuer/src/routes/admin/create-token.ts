import type { FastifyInstance } from "fastify";
import type { IssuerContext } from "../../context.js";
import { emitSafely, tokenEvent } from "../../events/token-events.js";
import { invalidField } from "../../http/http-error.js";
import type { IssueInput } from "../../tokens/types.js";
import { audited, by, nowSeconds, objectBody, security } from "./route-helpers.js";
import { adminErrors, createBody, tokenRecordSchema } from "./schemas.js";

/** `POST /admin/tokens`: creates a PAT; the token is shown once. */
export async function createTokenRoute(app: FastifyInstance, ctx: IssuerContext): Promise<void> {
  const { store, now, events } = ctx;
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
      const { expiresIn, ...rest } = objectBody(request);
      let input = rest as unknown as IssueInput;
      if (expiresIn !== undefined) {
        if (typeof expiresIn !== "number" || !Number.isInteger(expiresIn) || expiresIn <= 0) {
          throw invalidField("expiresIn", "expiresIn must be a positive integer number of seconds");
        }
        if (rest.expiresAt !== undefined) throw invalidField("expiresIn", "give expiresAt or expiresIn, not both");
        input = { ...input, expiresAt: nowSeconds(ctx) + expiresIn };
      }
      const created = await audited(
        ctx,
        request,
        "token.create",
        { tokenIdOf: (made: { record: { tokenId: string } }) => made.record.tokenId },
        () => store.issue(input),
      );
      await emitSafely(events, tokenEvent("token.created", created.record, by(request), now()));
      return reply.status(201).header("cache-control", "no-store").send(created);
    },
  );
}
