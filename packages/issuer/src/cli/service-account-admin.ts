import { checkMembers, checkServiceAccountName, type ServiceAccount } from "../service-accounts/service-account.js";
import type { MembersChange } from "../service-accounts/service-account-actions.js";
import { deleteAccount, foundAccount, nextMembers } from "../service-accounts/service-account-actions.js";
import type { ServiceAccountStore } from "../service-accounts/service-account-store.js";
import type { Acting, TokenService } from "../token-service/token-service.js";

/** What `patgate service-accounts` does: over the admin API, or on the store. */
export interface ServiceAccountAdmin {
  create(input: {
    readonly name: string;
    readonly members?: readonly string[];
    readonly description?: string;
  }): Promise<ServiceAccount>;
  list(): Promise<readonly ServiceAccount[]>;
  show(name: string): Promise<ServiceAccount>;
  members(name: string, change: MembersChange): Promise<ServiceAccount>;
  /** Deletes the account, revoking its PATs. */
  delete(name: string): Promise<{ readonly name: string; readonly revoked: number }>;
}

type AdminCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** `/admin/service-accounts` as a {@link ServiceAccountAdmin}. */
export function httpServiceAccountAdmin(admin: AdminCall): ServiceAccountAdmin {
  const path = (name: string) => `/service-accounts/${encodeURIComponent(name)}`;
  return {
    create: (input) => admin("POST", "/service-accounts", input),
    list: async () => (await admin<{ items: ServiceAccount[] }>("GET", "/service-accounts")).items,
    show: (name) => admin("GET", path(name)),
    members: (name, change) => admin("PATCH", path(name), { members: change }),
    delete: (name) => admin("DELETE", path(name)),
  };
}

/** The same actions directly on the store, checked as the admin API checks them. */
export function localServiceAccountAdmin(
  accounts: ServiceAccountStore,
  tokenService: Pick<TokenService, "revokeOwner">,
  by: Acting,
  now: () => number,
): ServiceAccountAdmin {
  const seconds = () => Math.floor(now() / 1000);
  return {
    create: (input) =>
      accounts.create({
        name: checkServiceAccountName(input.name),
        members: checkMembers(input.members ?? []),
        ...(input.description ? { description: input.description } : {}),
        createdAt: seconds(),
        createdBy: by.actor,
      }),
    list: () => accounts.list(),
    show: (name) => foundAccount(accounts, checkServiceAccountName(name)),
    async members(name, change) {
      const account = await foundAccount(accounts, checkServiceAccountName(name));
      return accounts.setMembers(account.name, nextMembers(account, change), seconds());
    },
    delete: (name) => deleteAccount(accounts, tokenService, checkServiceAccountName(name), by, seconds()),
  };
}
