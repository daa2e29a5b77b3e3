import { checkAuthorizationDetails, type DetailsCheck, parseDetailsJson } from "./authorization-detail.js";
import type { AuthorizationTypes } from "./authorization-types.js";

/** The RFC 9396 request parameter. */
export const AUTHORIZATION_DETAILS_PARAM = "authorization_details";

/**
 * Reads `authorization_details` from a `/token` body: JSON text in a form
 * field (RFC 9396 §3), or the array itself in a JSON body (its JSON text is
 * accepted there too). Undefined when absent; a refusal names the member at
 * fault. The work is bounded: text is length-checked before it is parsed,
 * and the body limit bounds an array.
 */
export function readAuthorizationDetails(
  params: Record<string, unknown>,
  types: AuthorizationTypes,
): DetailsCheck | undefined {
  const value = params[AUTHORIZATION_DETAILS_PARAM];
  if (value === undefined) return undefined;
  if (typeof value === "string") return parseDetailsJson(value, AUTHORIZATION_DETAILS_PARAM, types);
  return checkAuthorizationDetails(value, AUTHORIZATION_DETAILS_PARAM, types);
}
