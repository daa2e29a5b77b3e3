import { dpopReplayWindowMs, SIGNING_ALGORITHMS } from "@patgate/shared";
import { createJwtCheck } from "./check-jwt.js";
import { resolveDenyList } from "./deny-list/deny-list-option.js";
import type { RedisConnectionOptions } from "./deny-list/redis-connection.js";
import { resolveDpopPolicy } from "./dpop/dpop-options.js";
import { createRedisReplay } from "./dpop/redis-replay.js";
import { createReplayWindow, type ReplayStore } from "./dpop/replay-window.js";
import { createProofCheck } from "./dpop/request-check.js";
import { createResourceNonces } from "./dpop/resource-nonce.js";
import { createLocalKeySource, createRemoteKeySource, type KeySource } from "./key-source.js";
import { resolveLogger } from "./logger.js";
import { createStatusListCheck } from "./status-list/status-list-check.js";
import { resolveStatusListOption } from "./status-list/status-list-option.js";
import { buildVerifier, type Verifier } from "./verifier.js";
import { checkOptions, type VerifierOptions } from "./verifier-options.js";

function keySourceOf(options: VerifierOptions, now: () => number): KeySource {
  if (options.jwks !== undefined) return createLocalKeySource(options.jwks);
  return createRemoteKeySource(new URL(options.jwksUri as string | URL), {
    ...(options.jwksTimeoutMs !== undefined ? { timeoutMs: options.jwksTimeoutMs } : {}),
    ...(options.jwksCooldownMs !== undefined ? { cooldownMs: options.jwksCooldownMs } : {}),
    now,
  });
}

/** Where used proofs are remembered: this process, or the deny-list's Redis (checked by `checkOptions`). */
function replayStoreOf(options: VerifierOptions, dpop: ReturnType<typeof resolveDpopPolicy>): ReplayStore {
  const windowMs = dpopReplayWindowMs(dpop.maxAgeSeconds);
  if (dpop.replay === "redis") return createRedisReplay(options.denyList as RedisConnectionOptions, windowMs);
  if (typeof dpop.replay === "object") return createRedisReplay(dpop.replay, windowMs);
  return createReplayWindow(dpop.maxAgeSeconds, dpop.replayCapacity);
}

/**
 * Builds a verifier for patgate JWTs. Options are checked now, so a bad one
 * fails at start-up, not on the hundredth request.
 *
 * @example
 * const verifier = createVerifier({
 *   issuer: "https://auth.example.com",
 *   audience: "patgate",
 *   jwksUri: "https://auth.example.com/.well-known/jwks.json",
 *   denyList: { redis: process.env.REDIS_URL },
 * });
 * const auth = await verifier.verify(token); // { sub, roles, tokenId, jti, ... }
 */
export function createVerifier(options: VerifierOptions): Verifier {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const denyList =
    options.denyList === undefined
      ? undefined
      : resolveDenyList(options.denyList, { logger: resolveLogger(options.logger), now });
  const dpop = resolveDpopPolicy(options.dpop);
  const publicUrl = options.publicUrl === undefined ? undefined : String(options.publicUrl);
  const keys = keySourceOf(options, now);
  const algorithms = [...new Set<string>(options.algorithms ?? SIGNING_ALGORITHMS)];
  const logger = resolveLogger(options.logger);
  const statusList =
    options.statusList === undefined
      ? undefined
      : createStatusListCheck({
          issuer: options.issuer,
          settings: resolveStatusListOption(options.statusList),
          keyFor: (header) => keys.keyFor(header),
          algorithms,
          withDenyList: denyList !== undefined,
          warn: (message) => logger?.warn(message),
          now,
        });
  const replay = replayStoreOf(options, dpop);
  return buildVerifier({
    ...(statusList ? { statusList } : {}),
    checkJwt: createJwtCheck({
      issuer: options.issuer,
      audiences: typeof options.audience === "string" ? [options.audience] : [...options.audience],
      algorithms,
      clockTolerance: options.clockTolerance ?? 5,
      keys,
      // jose reads the clock itself unless a test clock was given.
      ...(options.now ? { now: options.now } : {}),
    }),
    denyList: denyList?.list,
    ownsDenyList: denyList?.owned ?? false,
    requiredRoles: [...(options.requiredRoles ?? [])],
    cacheSize: options.cache === false ? false : (options.cache?.max ?? 10_000),
    now,
    dpop,
    checkProof: createProofCheck(replay, publicUrl, now, dpop, createResourceNonces(dpop.nonce)),
    ...(replay.close ? { closeReplay: () => replay.close?.() ?? Promise.resolve() } : {}),
  });
}
