export { BASE62_ALPHABET, encodeBase62, randomBase62 } from "./base62.js";
export { type BearerParse, parseBearer } from "./bearer.js";
export { CHECKSUM_LENGTH, patChecksum } from "./checksum.js";
export {
  ACCESS_TOKEN_TYP,
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
  DEFAULT_ADMIN_AUDIENCE,
  DEFAULT_AUDIENCE,
  DEFAULT_SIGNING_ALGORITHM,
  INTROSPECT_ROLE,
  PAT_TOKEN_TYPE,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from "./claims.js";
export {
  type DenyCheckClaims,
  type DenyEntry,
  type DenyKind,
  type DenyLookup,
  denyEntryField,
  findDenial,
  isDenyValue,
  MAX_DENY_VALUE_LENGTH,
  mergeDenyEntry,
  parseDenyEntry,
  parseRevocationEvent,
  type RevocationEvent,
} from "./deny-list.js";
export {
  accessTokenHash,
  DPOP_PROOF_TYP,
  DPOP_SIGNING_ALGORITHMS,
  type DpopExpectation,
  type DpopProof,
  type DpopProofCheck,
  type DpopSigningAlgorithm,
  isJwkThumbprint,
  MAX_DPOP_JTI_LENGTH,
  MAX_DPOP_JWK_LENGTH,
  MAX_DPOP_NONCE_LENGTH,
  MAX_DPOP_PROOF_LENGTH,
  publicJwkThumbprint,
  verifyDpopProof,
} from "./dpop.js";
export { htuMatches, normaliseHtu } from "./dpop-htu.js";
export {
  createStatelessNonces,
  DPOP_NONCE_HKDF_INFO,
  dpopNonceKey,
  type NonceWindowKey,
  type StatelessNonceOptions,
  type StatelessNonces,
} from "./dpop-nonce.js";
export {
  createDpopReplayWindow,
  type DpopReplayWindow,
  dpopProofId,
  dpopReplayWindowMs,
} from "./dpop-replay.js";
export {
  OAUTH_ERRORS,
  type OAuthErrorBody,
  type OAuthErrorCode,
  PAT_VERIFY_FAILURES,
  type PatVerifyFailure,
} from "./errors.js";
export { looksLikeJwt } from "./jwt-shape.js";
export {
  assertTokenPrefix,
  DEFAULT_TOKEN_PREFIX,
  formatPat,
  isTokenId,
  MAX_PAT_LENGTH,
  newTokenId,
  PAT_SCANNER_PATTERN,
  type ParsedPat,
  type ParsePatResult,
  type PatFormatFailure,
  parsePat,
  patScannerPattern,
  patScannerRegExp,
  SECRET_BYTES,
  TOKEN_ID_LENGTH,
} from "./pat-format.js";
export {
  checkScryptParams,
  DEFAULT_SCRYPT_PARAMS,
  formatPhc,
  type ParsedPhc,
  type ParsePhcResult,
  type PhcFailure,
  parsePhc,
  SCRYPT_LIMITS,
  type ScryptParams,
} from "./phc.js";
export { redactTokens } from "./redact.js";
export {
  DEFAULT_REDIS_PREFIX,
  REVOCATION_QUEUE,
  type RedisKeys,
  redisKeys,
  STREAM_FIELDS,
} from "./redis-keys.js";
export { hashSecret, type SecretCheck, verifySecret } from "./scrypt.js";
export { settleWithin } from "./settle-within.js";
export { isScopeToken, isWellFormedText } from "./text.js";
