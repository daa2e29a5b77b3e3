import type { IssuerConfig } from "../config.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { RedisConnection } from "../redis/connection.js";
import { createDpopNonces } from "./nonce.js";
import { createMemoryReplayGuard, createRedisReplayGuard, replayWindowMs } from "./proof-replay.js";
import { createTokenProofCheck, type TokenProofCheck } from "./token-proof.js";

/**
 * The DPoP proof check of `/token` from the configuration: the replay guard
 * in Redis when there is one (every issuer on it shares it), else in memory;
 * nonces when `PATGATE_DPOP_NONCE` is on.
 */
export function createDpopParts(parts: {
  readonly config: IssuerConfig;
  readonly keys: SigningKeys;
  readonly redis?: RedisConnection;
}): TokenProofCheck {
  const { config, keys, redis } = parts;
  const windowMs = replayWindowMs(config.dpop.maxAgeSeconds);
  const replay = redis ? createRedisReplayGuard(redis, config.redisKeys, windowMs) : createMemoryReplayGuard(windowMs);
  const secret = config.dpop.nonceSecret;
  return createTokenProofCheck({
    config: config.dpop,
    issuer: config.issuer,
    replay,
    ...(config.dpop.nonce ? { nonces: createDpopNonces({ keys, ...(secret === undefined ? {} : { secret }) }) } : {}),
  });
}
