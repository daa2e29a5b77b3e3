import { invalid, TokenStoreError } from "../tokens/errors.js";
import { checkOwner } from "../tokens/validation.js";

/** The owner of a service account's PATs: `svc:<name>`. */
export const SERVICE_ACCOUNT_PREFIX = "svc:";

/** A service-account name: an identifier, 1 to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Most members one account lists. */
export const MAX_MEMBERS = 100;

/** An owner that is not a person: its PATs outlive whoever made them. */
export interface ServiceAccount {
  /** `deploy-bot`; its PATs' owner is `svc:deploy-bot`. */
  readonly name: string;
  readonly owner: string;
  /** People (console owner identities) who manage its PATs. */
  readonly members: readonly string[];
  readonly description?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The admin who created it. */
  readonly createdBy: string;
  /** Being deleted: it takes no new PATs (a delete that stopped half-way is finished by deleting again). */
  readonly deleting?: boolean;
}

/** No service account by that name: a 404. */
export class ServiceAccountMissingError extends TokenStoreError {
  constructor(name: string) {
    super("not_found", `no service account ${SERVICE_ACCOUNT_PREFIX}${name}`);
  }
}

/** Whether `owner` names a service account (`svc:…`). */
export function isServiceAccountOwner(owner: string): boolean {
  return owner.startsWith(SERVICE_ACCOUNT_PREFIX);
}

/** The name of `svc:<name>`, or of a bare name. */
export function serviceAccountName(ownerOrName: string): string {
  return isServiceAccountOwner(ownerOrName) ? ownerOrName.slice(SERVICE_ACCOUNT_PREFIX.length) : ownerOrName;
}

/** A valid name (`svc:` prefix accepted), or a 400 naming `name`. */
export function checkServiceAccountName(value: unknown, field = "name"): string {
  if (typeof value !== "string" || !NAME.test(serviceAccountName(value)))
    throw invalid(
      field,
      "must be an identifier: 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit",
    );
  return serviceAccountName(value);
}

/** A member list: people (owners), unique and sorted, never a service account. */
export function checkMembers(value: unknown, field = "members"): string[] {
  if (!Array.isArray(value) || value.length > MAX_MEMBERS)
    throw invalid(field, `must be an array of at most ${MAX_MEMBERS} owner identities`);
  const members = value.map((member) => {
    try {
      checkOwner(member);
    } catch {
      throw invalid(field, "must contain owner identities (non-empty well-formed strings)");
    }
    if (isServiceAccountOwner(member as string)) throw invalid(field, "must contain people, not service accounts");
    return member as string;
  });
  return [...new Set(members)].sort();
}
