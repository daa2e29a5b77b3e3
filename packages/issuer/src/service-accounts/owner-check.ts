import { isServiceAccountOwner, ServiceAccountMissingError, serviceAccountName } from "./service-account.js";
import type { ServiceAccountStore } from "./service-account-store.js";

/** What the token service asks of the service accounts. */
export type OwnerCheck = Pick<ServiceAccountStore, "get">;

/**
 * A PAT may belong to `svc:<name>` only while that account exists: throws
 * {@link ServiceAccountMissingError} (a 404) otherwise. People's owners are
 * not checked (they come from the identity provider).
 */
export async function ownerMustExist(accounts: OwnerCheck | undefined, owner: unknown): Promise<void> {
  if (!accounts || typeof owner !== "string" || !isServiceAccountOwner(owner)) return;
  const name = serviceAccountName(owner);
  if (!(await accounts.get(name))) throw new ServiceAccountMissingError(name);
}
