import { type AuthorizationDetail, checkAuthorizationDetails } from "../authorization/authorization-detail.js";
import type { AuthorizationTypes } from "../authorization/authorization-types.js";
import { invalid } from "./errors.js";

/** RFC 9396 details within the declared `types`: a `validation_error` naming the faulty member. */
export function checkDetails(
  value: unknown,
  types: AuthorizationTypes,
  field = "authorizationDetails",
): AuthorizationDetail[] {
  const checked = checkAuthorizationDetails(value, field, types);
  if (!checked.ok) throw invalid(checked.field, checked.problem);
  return checked.details;
}
