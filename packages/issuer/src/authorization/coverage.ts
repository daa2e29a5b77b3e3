import type { AuthorizationDetail } from "./authorization-detail.js";

/** Whether every entry of `part` is in `whole`; an absent `whole` restricts nothing. */
function within(part: readonly string[] | undefined, whole: readonly string[] | undefined): boolean {
  if (whole === undefined) return true;
  return part?.every((entry) => whole.includes(entry)) ?? false;
}

/**
 * Whether `held` covers `requested` (RFC 9396 §6, patgate's rule): the same
 * type, the requested actions (and datatypes, privileges) a subset of the
 * held, the locations a subset (a held detail without locations is not
 * limited by location), and the same identifier (a held detail without one is
 * not limited to one). Exact string comparison: no wildcards, no prefixes.
 */
export function covers(held: AuthorizationDetail, requested: AuthorizationDetail): boolean {
  return (
    held.type === requested.type &&
    within(requested.actions, held.actions) &&
    within(requested.locations, held.locations) &&
    (held.identifier === undefined || held.identifier === requested.identifier) &&
    within(requested.datatypes, held.datatypes) &&
    within(requested.privileges, held.privileges)
  );
}

/** Whether one of `held` covers `requested`. */
export function coveredBy(held: readonly AuthorizationDetail[], requested: AuthorizationDetail): boolean {
  return held.some((detail) => covers(detail, requested));
}

/**
 * The index of the first requested detail no held detail covers, or -1 when
 * all are covered (the request may be granted as asked).
 */
export function firstUncovered(
  held: readonly AuthorizationDetail[],
  requested: readonly AuthorizationDetail[],
): number {
  return requested.findIndex((detail) => !coveredBy(held, detail));
}

/**
 * Whether going from `before` to `after` takes authority away: some detail
 * held before is no longer covered. JWTs minted before such a change must be
 * denied, like those of a removed role.
 */
export function takesAuthorityAway(
  before: readonly AuthorizationDetail[] | undefined,
  after: readonly AuthorizationDetail[] | undefined,
): boolean {
  return firstUncovered(after ?? [], before ?? []) !== -1;
}
