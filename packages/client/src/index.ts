/**
 * `@patgate/client`: exchange a patgate PAT for a short-lived JWT, cache it,
 * refresh it before it expires, retry 429/503/network errors.
 */
export { TokenClientError, type TokenClientErrorCode } from "./errors.js";
export type { TokenClientOptions } from "./options.js";
export { createTokenClient, type TokenClient } from "./token-client.js";
