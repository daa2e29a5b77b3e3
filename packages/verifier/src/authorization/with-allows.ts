import type { AuthContext } from "../auth-context.js";
import { allowsCheck } from "./allows.js";

/**
 * Gives a context its `allows` method, not enumerable: the context stays the
 * plain record of claims it was (spread, compared, logged as before).
 */
export function withAllows(context: Omit<AuthContext, "allows">): AuthContext {
  return Object.defineProperty(context, "allows", {
    // A closure, not `this`: `const { allows } = auth` works too.
    value: (check: Parameters<AuthContext["allows"]>[0]) => allowsCheck(context.claims.authorization_details, check),
    enumerable: false,
  }) as AuthContext;
}
