/**
 * What a piece of code needs a JWT's RFC 9396 `authorization_details` to
 * allow: one `action` on a `type`, and optionally at one `location` and on
 * one `identifier`.
 */
export interface AuthorizationCheck {
  readonly type: string;
  readonly action: string;
  /** Where: met by a detail without `locations`, or one listing exactly this string. */
  readonly location?: string;
  /** Which resource: met by a detail without an `identifier`, or one with exactly this string. */
  readonly identifier?: string;
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === "string");
}

/** Whether one detail (untrusted JSON from the claim) meets the check. */
function meets(detail: unknown, check: AuthorizationCheck): boolean {
  if (typeof detail !== "object" || detail === null) return false;
  const { type, actions, locations, identifier } = detail as Record<string, unknown>;
  if (type !== check.type || !isStringList(actions) || !actions.includes(check.action)) return false;
  // A location asked for: a detail without locations is not limited by them; none asked for:
  // only such a detail will do (a token limited to some repositories is not allowed all of them).
  if (locations !== undefined) {
    if (!isStringList(locations) || check.location === undefined || !locations.includes(check.location)) return false;
  }
  if (identifier !== undefined) {
    if (typeof identifier !== "string" || identifier !== check.identifier) return false;
  }
  return true;
}

/**
 * Whether the `authorization_details` claim (as found in the token: anything)
 * allows `check`: one of its details has the type, lists the action, and
 * matches location and identifier exactly (no wildcards, no prefixes, no case
 * folding). A missing or malformed claim allows nothing.
 *
 * @example allowsCheck(claims.authorization_details, { type: "repository", action: "read", location: "acme/api" })
 */
export function allowsCheck(claim: unknown, check: AuthorizationCheck): boolean {
  return Array.isArray(claim) && claim.some((detail) => meets(detail, check));
}
