import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyTypeProvider,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";

/**
 * Types a route's body, params and querystring from their TypeBox schemas
 * (as `@fastify/type-provider-typebox` does), which Ajv checks before the
 * handler runs. Replies stay untyped: response schemas document and
 * serialize, and the store's readonly records are not the mutable types
 * TypeBox would infer from them (the plugin's provider would demand those).
 */
/** What `@fastify/type-provider-typebox` makes of a request schema. */
type TypeBoxValidated<Schema> = (TypeBoxTypeProvider & { schema: Schema })["validator"];

export interface IssuerTypeProvider extends FastifyTypeProvider {
  validator: TypeBoxValidated<this["schema"]>;
  serializer: unknown;
}

/** The issuer's Fastify instance, its requests typed by their schemas. */
export type IssuerApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  IssuerTypeProvider
>;

/** The same instance, typed by its schemas. */
export function typed(app: FastifyInstance): IssuerApp {
  return app.withTypeProvider<IssuerTypeProvider>();
}
