import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from "fastify";
import fastifyPlugin from "fastify-plugin";
import type { AuthContext } from "../auth-context.js";
import {
  type AuthorizationRequirement,
  assertAuthorization,
  checkRequirement,
} from "../authorization/require-authorization.js";
import { createVerifier } from "../create-verifier.js";
import { isDpopScheme } from "../dpop/http-request.js";
import type { Verifier } from "../verifier.js";
import type { VerifierOptions } from "../verifier-options.js";
import { assertRoles, authErrorResponse, bearerToken, commonBearer } from "./http-auth.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who is calling: set by @patgate/verifier on authenticated routes, null elsewhere. */
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    /** preHandler that authenticates a route (when the plugin is not `global`). */
    authenticate: preHandlerAsyncHookHandler;
  }
  interface FastifyContextConfig {
    /** `false` exempts a route from the plugin's global authentication. */
    auth?: boolean;
  }
}

/** Options of the Fastify plugin: a verifier, or the options to build one. */
export type PatgateFastifyOptions = (VerifierOptions | { readonly verifier: Verifier }) & {
  /** Authenticate every route (except those with `config: { auth: false }`); default true. */
  readonly global?: boolean;
  /** `realm` in WWW-Authenticate challenges. */
  readonly realm?: string;
};

async function sendError(reply: FastifyReply, error: unknown, realm?: string): Promise<void> {
  const response = authErrorResponse(error, realm);
  if (!response) throw error;
  await reply.code(response.status).headers(response.headers).send(response.body);
}

async function plugin(app: FastifyInstance, options: PatgateFastifyOptions): Promise<void> {
  const { global = true, realm } = options;
  const owned = !("verifier" in options);
  const verifier = "verifier" in options ? options.verifier : createVerifier(options);

  app.decorateRequest("auth", null);
  const authenticate: preHandlerAsyncHookHandler = async function (
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
  ) {
    try {
      const header = request.headers.authorization;
      if (isDpopScheme(header)) {
        // The htu is the URL the client called: Fastify's protocol and host honour `trustProxy`.
        const url = `${request.protocol}://${request.host}${request.url}`;
        request.auth = await verifier.verifyRequest({ method: request.method, url, headers: request.headers });
        return;
      }
      const token = bearerToken(header);
      request.auth = await verifier.verify(token ?? "");
    } catch (error) {
      await sendError(reply, error, realm);
    }
  };
  app.decorate("authenticate", authenticate);
  if (global) {
    // Callback style with a synchronous fast path: a reused token costs no promise at all.
    app.addHook("onRequest", function (this: FastifyInstance, request, reply, done) {
      if (request.routeOptions.config?.auth === false) return done();
      let auth: AuthContext | undefined;
      try {
        const header = request.headers.authorization;
        const common = commonBearer(header);
        auth = common === undefined ? undefined : verifier.verifyCached(common);
        // A DPoP request always takes the asynchronous path: its proof's signature is checked.
        if (common === undefined && !isDpopScheme(header)) auth ??= verifier.verifyCached(bearerToken(header) ?? "");
      } catch (error) {
        sendError(reply, error, realm).then(() => done(), done);
        return;
      }
      if (auth) {
        request.auth = auth;
        return done();
      }
      authenticate.call(this, request, reply).then(() => done(), done);
    });
  }
  if (owned) app.addHook("onClose", async () => verifier.close());
}

/**
 * The Fastify plugin: verifies `Authorization: Bearer <JWT>` (or `DPoP <JWT>`
 * with its proof, RFC 9449) and sets `request.auth`.
 *
 * @example
 * await app.register(patgate, { issuer, audience: "patgate", jwksUri });
 * app.get("/orders", { preHandler: requireRoles("orders:read") }, (req) => list(req.auth.sub));
 */
export const patgate: FastifyPluginAsync<PatgateFastifyOptions> = fastifyPlugin(plugin, {
  // Not encapsulated: the hooks and decorators land on the instance that registers the plugin.
  // Fastify checks the name and the version range at `register`.
  name: "@patgate/verifier",
  fastify: "5.x",
});

/** preHandler answering 403 `insufficient_scope` unless the caller has every role. */
export function requireRoles(...roles: string[]): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    try {
      assertRoles(request.auth, roles);
    } catch (error) {
      await sendError(reply, error);
    }
  };
}

/**
 * preHandler answering 403 `insufficient_scope` unless the caller's JWT has an
 * RFC 9396 authorization detail allowing `requirement` (see the README).
 *
 * @example app.put("/repos/:repo", { preHandler: requireAuthorization({ type: "repository", action: "write", location: (req) => req.params.repo }) }, handler)
 */
export function requireAuthorization<R extends FastifyRequest = FastifyRequest>(
  requirement: AuthorizationRequirement<R>,
): preHandlerAsyncHookHandler {
  checkRequirement(requirement);
  return async (request, reply) => {
    try {
      assertAuthorization(request.auth, requirement, request as R);
    } catch (error) {
      await sendError(reply, error);
    }
  };
}
