import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyTypeProvider,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { Static, TSchema } from "typebox";

/**
 * Types a route's body, params and querystring from their TypeBox schemas,
 * which Ajv checks before the handler runs. Replies stay untyped: response
 * schemas document and serialize, and the store's readonly records are not
 * the mutable types TypeBox would infer from them. (The validator half of
 * `@fastify/type-provider-typebox`, whose provider types replies too.)
 */
export interface IssuerTypeProvider extends FastifyTypeProvider {
  validator: this["schema"] extends TSchema ? Static<this["schema"]> : unknown;
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
