export { enableTtl } from "../dynamo/dynamo-helpers.js";
export { createTokenTable, OWNER_INDEX } from "./create-token-table.js";
export { decodeCursor, encodeCursor, type PageKey } from "./cursor.js";
export { StoreUnavailableError, TokenStoreError, type TokenStoreErrorCode } from "./errors.js";
export { createTokenStore, type TokenStoreInternals } from "./token-store.js";
export type {
  BatchLoadResult,
  GenerateResult,
  IssueInput,
  ListOptions,
  ListPage,
  PatVerifyResult,
  RegisterInput,
  RolesUpdate,
  StateChange,
  TokenRecord,
  TokenStore,
  TokenStoreOptions,
  TokenUpdate,
} from "./types.js";
export { MAX_ROLE_LENGTH, MAX_ROLES } from "./validation.js";
