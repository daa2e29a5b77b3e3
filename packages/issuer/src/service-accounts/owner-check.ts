import { isServiceAccountOwner, ServiceAccountMissingError, serviceAccountName } from "./service-account.js";
import type { ServiceAccountStore } from "./service-account-store.js";

/** What the token service asks of the service accounts. */
export type OwnerCheck = Pick<ServiceAccountStore, "get">;

/** The account's name when `owner` is a service account that is missing or being deleted. */
async function missingAccount(accounts: OwnerCheck | undefined, owner: unknown): Promise<string | undefined> {
  if (!accounts || typeof owner !== "string" || !isServiceAccountOwner(owner)) return undefined;
  const name = serviceAccountName(owner);
  const account = await accounts.get(name);
  return !account || account.deleting ? name : undefined;
}

/**
 * A PAT may belong to `svc:<name>` only while that account exists (and is
 * not being deleted): throws {@link ServiceAccountMissingError} (a 404)
 * otherwise. People's owners are not checked (they come from the identity
 * provider).
 */
export async function ownerMustExist(accounts: OwnerCheck | undefined, owner: unknown): Promise<void> {
  const missing = await missingAccount(accounts, owner);
  if (missing !== undefined) throw new ServiceAccountMissingError(missing);
}

/**
 * Checks the owner again once its PAT is written, and undoes the write (a
 * revocation) if the account is now being deleted. A delete marks the account
 * before it revokes the owner, so either this read sees the mark, or the PAT
 * was written before the revocation began, recorded an owner revision below
 * the one that revocation sets, and is revoked with the owner: no PAT of a
 * deleted account stays usable, without a transaction over both tables.
 */
export async function ownerStillExists(
  accounts: OwnerCheck | undefined,
  owner: unknown,
  undo: () => Promise<unknown>,
): Promise<void> {
  const missing = await missingAccount(accounts, owner);
  if (missing === undefined) return;
  await undo();
  throw new ServiceAccountMissingError(missing);
}
