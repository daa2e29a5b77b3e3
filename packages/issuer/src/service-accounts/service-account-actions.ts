import type { Acting, TokenService } from "../token-service/token-service.js";
import { invalid } from "../tokens/errors.js";
import {
  checkMembers,
  SERVICE_ACCOUNT_PREFIX,
  type ServiceAccount,
  ServiceAccountMissingError,
} from "./service-account.js";
import type { ServiceAccountStore } from "./service-account-store.js";

/** A change of members: the new list, or some added or removed. */
export type MembersChange =
  | readonly string[]
  | { readonly add: readonly string[] }
  | { readonly remove: readonly string[] };

/** The account, or a {@link ServiceAccountMissingError} (a 404). */
export async function foundAccount(accounts: Pick<ServiceAccountStore, "get">, name: string): Promise<ServiceAccount> {
  const account = await accounts.get(name);
  if (!account) throw new ServiceAccountMissingError(name);
  return account;
}

/** The members after `change`: replaced, or some added or removed. */
export function nextMembers(account: ServiceAccount, change: unknown): string[] {
  if (Array.isArray(change)) return checkMembers(change);
  const { add, remove } = (change ?? {}) as { add?: unknown; remove?: unknown };
  if (add !== undefined) return checkMembers([...account.members, ...checkMembers(add, "members.add")]);
  if (remove !== undefined) {
    const gone = new Set(checkMembers(remove, "members.remove"));
    return account.members.filter((member) => !gone.has(member));
  }
  throw invalid("members", "must be an array, {add: [...]} or {remove: [...]}");
}

/** The members added and removed by a change, for its audit line. */
export function membersChanged(before: readonly string[], after: readonly string[]): Record<string, string> {
  const added = after.filter((member) => !before.includes(member));
  const removed = before.filter((member) => !after.includes(member));
  return { added: added.join(","), removed: removed.join(",") };
}

/**
 * Deletes an account and revokes its PATs (the admin API and the CLI on the
 * store). Marked first, so no PAT is created for it from here (see
 * owner-check.ts); then its PATs are revoked, then the account goes: none is
 * left owned by no one. A delete that stopped half-way is finished by another.
 */
export async function deleteAccount(
  accounts: ServiceAccountStore,
  tokenService: Pick<TokenService, "revokeOwner">,
  name: string,
  by: Acting,
  atSeconds: number,
): Promise<{ readonly name: string; readonly revoked: number }> {
  await accounts.markDeleting(name, atSeconds);
  const { revoked } = await tokenService.revokeOwner(`${SERVICE_ACCOUNT_PREFIX}${name}`, by);
  await accounts.remove(name);
  return { name, revoked };
}
