import type { AppContext } from "../context.js";
import { isServiceAccountOwner, serviceAccountName } from "../service-accounts/service-account.js";
import type { ConsoleUser } from "./session.js";

/**
 * Which owners a signed-in person manages in the console: their own, and
 * the service accounts (`svc:<name>`) that list them as a member, read from
 * the store on each request (a member removed loses access at once).
 */
export async function managedServiceAccounts(
  ctx: Pick<AppContext, "serviceAccounts">,
  user: ConsoleUser,
): Promise<string[]> {
  if (!ctx.serviceAccounts) return [];
  return (await ctx.serviceAccounts.memberOf(user.owner)).map((account) => account.owner);
}

/** Whether `user` may manage PATs owned by `owner`: their own, or a service account they are a member of. */
export async function mayManage(
  ctx: Pick<AppContext, "serviceAccounts">,
  user: ConsoleUser,
  owner: string,
): Promise<boolean> {
  if (owner === user.owner) return true;
  if (!ctx.serviceAccounts || !isServiceAccountOwner(owner)) return false;
  const account = await ctx.serviceAccounts.get(serviceAccountName(owner));
  return account?.members.includes(user.owner) ?? false;
}
