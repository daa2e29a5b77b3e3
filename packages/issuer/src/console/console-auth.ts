import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { type ConsoleContext, ConsoleError, seeOther } from "./console-http.js";
import type { ConsoleUser } from "./session.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The signed-in console user, set on every route of a scope that registers {@link consoleAuth}. */
    consoleUser: ConsoleUser | null;
  }
}

/**
 * The session's person, or null. A session opened with an admin PAT ends
 * when that PAT is revoked, expires or stops being an admin.
 */
async function currentUser(cc: ConsoleContext, request: FastifyRequest): Promise<ConsoleUser | null> {
  const user = await cc.sessions.current(request);
  if (user?.via !== "pat" || user.patId === undefined) return user;
  const pat = await cc.ctx.store.get(user.patId);
  const now = Math.floor(cc.ctx.now() / 1000);
  if (pat && !pat.isRevoked && pat.isAdmin && (pat.expiresAt === undefined || pat.expiresAt > now)) return user;
  await cc.sessions.end(request);
  return null;
}

/**
 * Console authentication for every route registered beside it (the pages of
 * a signed-in person): sets `request.consoleUser`, or sends a GET to the
 * sign-in page and answers a form posted from an ended session with a 401
 * page. A `preHandler`, so a form's CSRF check (its route's `preValidation`)
 * still comes first. With `admin`, a signed-in person who is not a console
 * admin gets a 403 page.
 */
export const consoleAuth = fp(
  async (app: FastifyInstance, options: { readonly cc: ConsoleContext; readonly admin?: boolean }) => {
    app.decorateRequest("consoleUser", null);
    app.addHook("preHandler", async (request, reply) => {
      const user = await currentUser(options.cc, request);
      if (!user) {
        if (request.method !== "GET") throw new ConsoleError(401, "Your session has ended. Sign in again.");
        await seeOther(reply, "/sign-in");
        return reply;
      }
      if (options.admin && !user.admin) throw new ConsoleError(403, "This page is for console admins.");
      request.consoleUser = user;
    });
  },
  { name: "patgate-console-auth", fastify: "5.x" },
);

/** The signed-in person of a route behind {@link consoleAuth}. */
export function consoleUserOf(request: FastifyRequest): ConsoleUser {
  const user = request.consoleUser;
  // Only a route registered outside the authenticated scope gets here: a bug, not a visitor.
  if (!user) throw new Error(`console route ${request.routeOptions.url ?? ""} is outside the signed-in scope`);
  return user;
}
