export { buildApp } from "./app.js";
export type { AuditEvent, AuditSink } from "./audit/audit-event.js";
export { type AuditLog, createAuditLog, createAuditTable } from "./audit/audit-log.js";
export { ConfigError, type IssuerConfig, loadConfig } from "./config.js";
export type { AppParts } from "./context.js";
export { createTables } from "./dependencies.js";
export { createScryptBudget, type ScryptBudget, ScryptBusyError } from "./exchange/scrypt-budget.js";
export { REDACTED_LOG_PATHS } from "./http/app-logging.js";
export { type MintedToken, mintAccessToken } from "./jwt/mint-access-token.js";
export { loadSigningKeys, type SigningKeys, type SigningKeysOptions } from "./jwt/signing-keys.js";
export { createMemoryOutbox, createOutbox, type Outbox } from "./revocation/outbox.js";
export { createRevocation, type Revocation, type RevocationOptions } from "./revocation/revocation.js";
export type { TokenChanges } from "./revocation/token-changes.js";
export { type RunningServer, startServer } from "./server.js";
export { createServerParts, type ServerParts } from "./server-parts.js";
export type { BitStore } from "./status-list/bit-store.js";
export { createListPublisher, type ListPublisher } from "./status-list/list-publisher.js";
export { CHUNK_SIZE, LIST_SIZE } from "./status-list/status-table.js";
export {
  createTokenStore,
  createTokenTable,
  StoreUnavailableError,
  type TokenRecord,
  type TokenStore,
  TokenStoreError,
} from "./tokens/index.js";
