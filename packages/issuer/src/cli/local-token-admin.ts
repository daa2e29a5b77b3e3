import type { AuditLog } from "../audit/audit-log.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { ServiceAccountStore } from "../service-accounts/service-account-store.js";
import type { Acting, TokenService } from "../token-service/token-service.js";
import { TokenStoreError } from "../tokens/errors.js";
import type { TokenStore } from "../tokens/types.js";
import { localServiceAccountAdmin } from "./service-account-admin.js";
import type { TokenAdmin } from "./token-admin.js";

/** Who the CLI's changes on the store are attributed to (no address: no request in between). */
const CLI: Acting = { actor: "cli" };

/** A {@link TokenAdmin} working directly on the configured store (no issuer running in between). */
export function createLocalTokenAdmin(parts: {
  readonly store: TokenStore;
  /** The same service as the admin API's; the CLI's keeps no audit trail and counts no metrics. */
  readonly tokenService: TokenService;
  readonly keys: () => Promise<SigningKeys>;
  readonly auditLog: AuditLog;
  readonly now?: () => number;
  readonly serviceAccounts: ServiceAccountStore;
  readonly close: () => Promise<void>;
}): TokenAdmin {
  const { store, tokenService, now = Date.now } = parts;
  return {
    create: (input) => tokenService.create(input, CLI),
    list: (options) => store.list(options),
    async show(tokenId) {
      const record = await store.get(tokenId);
      if (!record) throw new TokenStoreError("not_found", `no token with id ${tokenId}`);
      return record;
    },
    update: (tokenId, changes) => tokenService.update(tokenId, changes, CLI),
    revoke: (tokenId) => tokenService.revoke(tokenId, CLI),
    restore: (tokenId) => tokenService.restore(tokenId, CLI),
    rotate: (tokenId, graceSeconds) => tokenService.rotate(tokenId, graceSeconds, CLI),
    audit: (query) => parts.auditLog.listAll(query),
    async rotateKeys() {
      return (await parts.keys()).rotate(Math.floor(now() / 1000));
    },
    serviceAccounts: localServiceAccountAdmin(parts.serviceAccounts, tokenService, CLI, now),
    close: parts.close,
  };
}
