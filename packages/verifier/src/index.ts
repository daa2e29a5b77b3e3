export { type AuthErrorResponse, assertRoles, authErrorResponse, bearerToken } from "./adapters/http-auth.js";
export type { AuthContext } from "./auth-context.js";
export type { DenyList } from "./deny-list/deny-list.js";
export { createMemoryDenyList, type MemoryDenyList } from "./deny-list/memory-deny-list.js";
export { createRedisDenyList, type RedisDenyList, type RedisDenyListOptions } from "./deny-list/redis-deny-list.js";
export { HTTP_MAPPING, type HttpMapping, VerifierError, type VerifierErrorCode } from "./errors.js";
export type { VerifierLogger } from "./logger.js";
export { createVerifier, type Verifier, type VerifierOptions } from "./verifier.js";
