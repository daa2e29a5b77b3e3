import type { AuditLog } from "../audit/audit-log.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { Revoker } from "../revocation/revoker.js";
import { TokenStoreError } from "../tokens/errors.js";
import type { TokenStore } from "../tokens/types.js";
import type { TokenAdmin } from "./token-admin.js";

/** A {@link TokenAdmin} working directly on the configured store (no issuer running in between). */
export function createLocalTokenAdmin(parts: {
  readonly store: TokenStore;
  readonly revoker: Revoker;
  readonly keys: () => Promise<SigningKeys>;
  readonly auditLog: AuditLog;
  readonly now?: () => number;
  readonly close: () => Promise<void>;
}): TokenAdmin {
  const { store, revoker, now = Date.now } = parts;
  return {
    create: (input) => store.issue(input),
    list: (options) => store.list(options),
    async show(tokenId) {
      const record = await store.get(tokenId);
      if (!record) throw new TokenStoreError("not_found", `no token with id ${tokenId}`);
      return record;
    },
    update: (tokenId, changes) => revoker.updateToken(tokenId, changes),
    revoke: (tokenId) => revoker.revokeToken(tokenId),
    restore: (tokenId) => revoker.restoreToken(tokenId),
    rotate: (tokenId, graceSeconds) => revoker.rotateToken(tokenId, graceSeconds),
    audit: (query) => parts.auditLog.listAll(query),
    async rotateKeys() {
      return (await parts.keys()).rotate(Math.floor(now() / 1000));
    },
    close: parts.close,
  };
}
