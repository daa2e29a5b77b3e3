import type { AuditLog } from "../audit/audit-log.js";
import { type EventSink, emitSafely, noEvents, tokenEvent } from "../events/token-events.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { Revoker } from "../revocation/revoker.js";
import { TokenStoreError } from "../tokens/errors.js";
import type { TokenStore } from "../tokens/types.js";
import type { TokenAdmin } from "./token-admin.js";

/** Actor of the lifecycle events of changes made by the CLI on the store. */
const CLI_ACTOR = "cli";

/** A {@link TokenAdmin} working directly on the configured store (no issuer running in between). */
export function createLocalTokenAdmin(parts: {
  readonly store: TokenStore;
  readonly revoker: Revoker;
  /** Where `token.created` goes (the revoker emits the other events); default nowhere. */
  readonly events?: EventSink;
  readonly keys: () => Promise<SigningKeys>;
  readonly auditLog: AuditLog;
  readonly now?: () => number;
  readonly close: () => Promise<void>;
}): TokenAdmin {
  const { store, revoker, events = noEvents, now = Date.now } = parts;
  const by = { actor: CLI_ACTOR };
  return {
    async create(input) {
      const created = await store.issue(input);
      await emitSafely(events, tokenEvent("token.created", created.record, by, now()));
      return created;
    },
    list: (options) => store.list(options),
    async show(tokenId) {
      const record = await store.get(tokenId);
      if (!record) throw new TokenStoreError("not_found", `no token with id ${tokenId}`);
      return record;
    },
    update: (tokenId, changes) => revoker.updateToken(tokenId, changes, by),
    revoke: (tokenId) => revoker.revokeToken(tokenId, by),
    restore: (tokenId) => revoker.restoreToken(tokenId, by),
    rotate: (tokenId, graceSeconds) => revoker.rotateToken(tokenId, graceSeconds, by),
    audit: (query) => parts.auditLog.listAll(query),
    async rotateKeys() {
      return (await parts.keys()).rotate(Math.floor(now() / 1000));
    },
    close: parts.close,
  };
}
