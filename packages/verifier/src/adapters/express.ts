import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import type { AuthContext } from "../auth-context.js";
import { createVerifier } from "../create-verifier.js";
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

/**
 * Express middleware: verifies `Authorization: Bearer <JWT>` and sets
 * `req.auth`; failures go to `next(error)` with a `status`, for
 * {@link patgateErrorHandler} (or Express's own handler) to answer.
 *
 * @example
 * app.use(patgateAuth({ issuer, audience: "patgate", jwksUri }));
 * app.get("/orders", requireRoles("orders:read"), (req, res) => res.json(list(req.auth?.sub)));
 * app.use(patgateErrorHandler());
 */
export function patgateAuth(options: PatgateExpressOptions): RequestHandler {
  const verifier = "verifier" in options ? options.verifier : createVerifier(options);
  return (req: Request, _res: Response, next: NextFunction) => {
    req.auth = null;
    let token = "";
    let cached: AuthContext | undefined;
    try {
      const header = req.headers.authorization;
      const common = commonBearer(header);
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
