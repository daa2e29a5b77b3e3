/**
 * `@patgate/client`: exchange a patgate PAT for a short-lived JWT, cache it,
 * refresh it before it expires, retry 429/503/network errors; with `dpop`,
 * bind it to a key and call resource servers with proofs (RFC 9449).
 */
export { type DpopKeyPair, type DpopOption, generateDpopKey, importDpopKey } from "./dpop-key.js";
export { TokenClientError, type TokenClientErrorCode } from "./errors.js";
export type { TokenClientOptions } from "./options.js";
export { createTokenClient, type TokenClient } from "./token-client.js";
