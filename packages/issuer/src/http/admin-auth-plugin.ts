import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { AppContext } from "../context.js";
import { type AdminPrincipal, authenticate } from "./admin-auth.js";
import { invalidField } from "./http-error.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated admin, set on every route of a scope that registers {@link adminAuth}. */
    admin: AdminPrincipal | null;
  }
}

/**
 * Admin authentication for every route registered beside it: a JWT minted for
 * the admin audience from an admin PAT, not down-scoped (see
 * `hasAdminAuthority`), sets `request.admin`; anything else is a 401 or 403
 * before the route runs. A query parameter the route does not know is a 400,
 * never silently ignored: a client that misspells a filter (`hasRole` for
 * `role`) must not get the unfiltered list as if filtered.
 */
export const adminAuth = fp(
  async (app: FastifyInstance, ctx: AppContext) => {
    app.decorateRequest("admin", null);
    app.addHook("onRequest", async (request) => {
      request.admin = await authenticate(ctx, request, "admin");
    });
    app.addHook("preValidation", async (request) => {
      const schema = request.routeOptions.schema?.querystring as { properties?: object } | undefined;
      const known = schema?.properties ?? {};
      for (const key of Object.keys(request.query ?? {})) {
        if (!Object.hasOwn(known, key)) throw invalidField(key.slice(0, 64), "unknown query parameter (see field)");
      }
    });
  },
  { name: "patgate-admin-auth", fastify: "5.x" },
);
