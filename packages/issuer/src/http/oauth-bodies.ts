import { ACCESS_TOKEN_TYPE, PAT_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "@patgate/shared";
import type { FastifySchemaCompiler } from "fastify";
import { Type } from "typebox";

/**
 * A validator that accepts any body: for the OAuth endpoints, whose schemas
 * only document them (OpenAPI). Those routes read their parameters in the
 * order the RFCs prescribe (`grant_type` first, RFC 6749 §5.2) and answer
 * each failure with the RFC's own error (`unsupported_grant_type`,
 * `invalid_target` for a repeated audience…), which a schema failure could
 * not tell apart; and a form may repeat a parameter, which a schema types away.
 */
export const documentedOnly: FastifySchemaCompiler<unknown> = () => () => true;

/** The media types an OAuth endpoint reads (RFC 6749 forms, and JSON). */
export const OAUTH_MEDIA_TYPES = ["application/x-www-form-urlencoded", "application/json"];

/** `POST /token`: an RFC 8693 exchange; every parameter is optional with `Authorization: Bearer <PAT>`. */
export const tokenExchangeBody = Type.Object({
  grant_type: Type.Optional(Type.Literal(TOKEN_EXCHANGE_GRANT_TYPE)),
  subject_token: Type.Optional(Type.String({ description: "the PAT (or send it as Authorization: Bearer)" })),
  subject_token_type: Type.Optional(
    Type.Union([Type.Literal(ACCESS_TOKEN_TYPE), Type.Literal(PAT_TOKEN_TYPE)], {
      description: "required with subject_token",
    }),
  ),
  scope: Type.Optional(Type.String({ description: "space-separated subset of the PAT's roles (down-scoping)" })),
  audience: Type.Optional(Type.String({ description: "one of PATGATE_AUDIENCE, or the admin audience" })),
  resource: Type.Optional(Type.String({ description: "RFC 8707: the same as audience" })),
  requested_token_type: Type.Optional(Type.Literal(ACCESS_TOKEN_TYPE)),
  authorization_details: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String() }))], {
      description:
        "RFC 9396: a JSON array (JSON text in a form) of details, each covered by one of the PAT's; absent: all of them",
    }),
  ),
});

/** `POST /revoke` (RFC 7009) and `POST /introspect` (RFC 7662). */
export const tokenBody = Type.Object({
  token: Type.String({ description: "a PAT or a JWT" }),
  token_type_hint: Type.Optional(Type.String({ description: "ignored (RFC 7009 §2.1)" })),
});
