import type { AuthContext } from "../auth-context.js";
import { VerifierError } from "../errors.js";
import { type AuthorizationCheck, allowsCheck } from "./allows.js";

/** A value of a guard: fixed, or read from the request (a route parameter, a header). */
export type FromRequest<R> = string | ((request: R) => string | undefined);

/**
 * What a route needs: one `action` on a `type`, optionally at a `location`
 * and on an `identifier`, each fixed or read from the request.
 *
 * @example { type: "repository", action: "read", location: (req) => `${req.params.owner}/${req.params.repo}` }
 */
export interface AuthorizationRequirement<R = unknown> {
  readonly type: string;
  readonly action: string;
  readonly location?: FromRequest<R>;
  readonly identifier?: FromRequest<R>;
}

/** Checks a requirement when its guard is made, so a typo fails at start-up, not on a request. */
export function checkRequirement<R>(requirement: AuthorizationRequirement<R>): void {
  const text = (value: unknown) => typeof value === "string" && value.length > 0;
  if (!text(requirement?.type) || !text(requirement.action))
    throw new TypeError("requireAuthorization needs a non-empty type and action");
  for (const key of ["location", "identifier"] as const) {
    const value: unknown = requirement[key];
    if (value !== undefined && !text(value) && typeof value !== "function")
      throw new TypeError(`requireAuthorization's ${key} must be a non-empty string or a function of the request`);
  }
}

/**
 * The check a requirement makes of one request. A function that gives no
 * value (a missing parameter) makes the check fail rather than drop the
 * location: the guard never asks for less than it was written to.
 */
function checkFor<R>(requirement: AuthorizationRequirement<R>, request: R): AuthorizationCheck | undefined {
  const read = (value: FromRequest<R> | undefined) => (typeof value === "function" ? value(request) : value);
  const location = read(requirement.location);
  const identifier = read(requirement.identifier);
  if (requirement.location !== undefined && !location) return undefined;
  if (requirement.identifier !== undefined && !identifier) return undefined;
  return {
    type: requirement.type,
    action: requirement.action,
    ...(location ? { location } : {}),
    ...(identifier ? { identifier } : {}),
  };
}

/**
 * Throws `insufficient_authorization` (403 `insufficient_scope`) unless the
 * caller's JWT allows the requirement for this request; `token_missing`
 * without an authenticated caller.
 */
export function assertAuthorization<R>(
  auth: AuthContext | null | undefined,
  requirement: AuthorizationRequirement<R>,
  request: R,
): AuthContext {
  if (!auth) throw new VerifierError("token_missing", "a bearer token is required");
  const check = checkFor(requirement, request);
  if (!check || !allowsCheck(auth.claims.authorization_details, check))
    throw new VerifierError(
      "insufficient_authorization",
      `the token's authorization_details do not allow ${requirement.action} on ${requirement.type}`,
    );
  return auth;
}
