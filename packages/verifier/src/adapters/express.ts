import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
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

declare global {
  namespace Express {
    interface Request {
      /** Who is calling: set by @patgate/verifier's middleware. */
      auth?: AuthContext | null;
    }
  }
}

/** Options of the Express middleware: a verifier, or the options to build one. */
export type PatgateExpressOptions = VerifierOptions | { readonly verifier: Verifier };

/** The middleware, and the way to release the verifier it built. */
export interface PatgateMiddleware extends RequestHandler {
  /**
   * Closes the verifier the middleware built from options (its Redis
   * follower); call it on shutdown. Idempotent. A verifier given as
   * `{ verifier }` is yours to close: this leaves it open.
   */
  close(): Promise<void>;
}

/**
 * Express middleware: verifies `Authorization: Bearer <JWT>` (or `DPoP <JWT>`
 * with its proof, RFC 9449) and sets
 * `req.auth`; failures go to `next(error)` with a `status`, for
 * {@link patgateErrorHandler} (or Express's own handler) to answer.
 *
 * @example
 * app.use(patgateAuth({ issuer, audience: "patgate", jwksUri }));
 * app.get("/orders", requireRoles("orders:read"), (req, res) => res.json(list(req.auth?.sub)));
 * app.use(patgateErrorHandler());
 * // on shutdown: await auth.close() (auth = the patgateAuth(...) middleware)
 */
export function patgateAuth(options: PatgateExpressOptions): PatgateMiddleware {
  const owned = !("verifier" in options);
  const verifier = "verifier" in options ? options.verifier : createVerifier(options);
  const middleware = (req: Request, _res: Response, next: NextFunction) => {
    req.auth = null;
    let token = "";
    let cached: AuthContext | undefined;
    const header = req.headers.authorization;
    const common = commonBearer(header);
    if (common === undefined && isDpopScheme(header)) {
      // The htu is the URL the client called: Express's protocol and host honour `trust proxy`.
      const url = `${req.protocol}://${req.host}${req.originalUrl}`;
      verifier.verifyRequest({ method: req.method, url, headers: req.headers }).then(
        (auth) => {
          req.auth = auth;
          next();
        },
        (error: unknown) => next(error),
      );
      return;
    }
    try {
      cached = common === undefined ? undefined : verifier.verifyCached(common);
      if (!cached) {
        token = bearerToken(header) ?? "";
        cached = verifier.verifyCached(token);
      }
    } catch (error) {
      next(error);
      return;
    }
    if (cached) {
      req.auth = cached;
      next();
      return;
    }
    verifier.verify(token).then(
      (auth) => {
        req.auth = auth;
        next();
      },
      (error: unknown) => next(error),
    );
  };
  return Object.assign(middleware, { close: async () => (owned ? verifier.close() : undefined) });
}

/** Middleware passing on 403 `insufficient_scope` unless the caller has every role. */
export function requireRoles(...roles: string[]): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    try {
      assertRoles(req.auth, roles);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * Passes on a 403 `insufficient_scope` (to {@link patgateErrorHandler}) unless
 * the caller's JWT has an RFC 9396 authorization detail allowing `requirement`.
 *
 * @example app.get("/repos/:repo", requireAuthorization({ type: "repository", action: "read", location: (req) => req.params.repo }), handler)
 */
export function requireAuthorization(requirement: AuthorizationRequirement<Request>): RequestHandler {
  checkRequirement(requirement);
  return (req: Request, _res: Response, next: NextFunction) => {
    try {
      assertAuthorization(req.auth, requirement, req);
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Error middleware writing RFC 6750 JSON for verifier errors; other errors pass on. */
export function patgateErrorHandler(options: { readonly realm?: string } = {}): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const response = authErrorResponse(error, options.realm);
    if (!response || res.headersSent) {
      next(error);
      return;
    }
    res.status(response.status).set(response.headers).json(response.body);
  };
}
