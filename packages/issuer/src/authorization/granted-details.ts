import type { AuthorizationDetail } from "./authorization-detail.js";
import { firstUncovered } from "./coverage.js";

/**
 * What a JWT carries: every detail of the PAT when none is asked for, or
 * exactly those asked for when each is covered by one of the PAT's (RFC 9396
 * §6.1: the grant names what was granted, not what the PAT holds).
 */
export function grantedDetails(
  held: readonly AuthorizationDetail[] | undefined,
  requested: readonly AuthorizationDetail[] | undefined,
):
  | { readonly granted: readonly AuthorizationDetail[] }
  | { readonly reason: "authorization_details_exceeded"; readonly index: number } {
  if (requested === undefined) return { granted: held ?? [] };
  const index = firstUncovered(held ?? [], requested);
  if (index !== -1) return { reason: "authorization_details_exceeded", index };
  return { granted: requested };
}
