import { availableParallelism } from "node:os";
import { type Env, integer, lifetime } from "../env-values.js";
import type { IssuerConfig } from "./issuer-config.js";

export type LimitsConfig = Pick<
  IssuerConfig,
  | "patCacheTtlSeconds"
  | "stateMaxAgeSeconds"
  | "rateLimitPerMinute"
  | "failuresPerTokenPerMinute"
  | "failuresPerAddressPerMinute"
  | "maxTokenLifetimeSeconds"
  | "scryptConcurrency"
  | "scryptMaxWaitMs"
  | "coldExchangesPerMinute"
  | "jwtRevocationsPerMinute"
>;

/**
 * The oldest PAT state an exchange mints from: a cached record lives at most
 * the cache's lifetime, and a read that took longer (a stalled request) is
 * refused. Deny marks outlive JWTs by at least this much.
 */
export function stateMaxAgeSeconds(patCacheTtlSeconds: number): number {
  return Math.max(patCacheTtlSeconds, 30);
}

/** How much the issuer does for whom: the PAT cache, rate limits, lock-outs, the scrypt budget, PAT lifetimes. */
export function readLimitsConfig(env: Env): LimitsConfig {
  const patCacheTtlSeconds = integer(env, "PATGATE_PAT_CACHE_TTL", 60, 0, 3600, " number of seconds");
  return {
    patCacheTtlSeconds,
    stateMaxAgeSeconds: stateMaxAgeSeconds(patCacheTtlSeconds),
    rateLimitPerMinute: integer(env, "PATGATE_RATE_LIMIT", 6000, 1, 10_000_000, " (requests per minute per IP)"),
    failuresPerTokenPerMinute: integer(
      env,
      "PATGATE_TOKEN_FAILURE_LIMIT",
      10,
      1,
      100_000,
      " (failures per minute per token id per address)",
    ),
    failuresPerAddressPerMinute: integer(
      env,
      "PATGATE_ADDRESS_FAILURE_LIMIT",
      100,
      1,
      10_000_000,
      " (failures per minute per address)",
    ),
    ...lifetime(env, "PATGATE_MAX_TOKEN_LIFETIME", 366 * 86_400),
    scryptConcurrency: integer(env, "PATGATE_SCRYPT_CONCURRENCY", defaultScryptConcurrency(), 1, 256),
    scryptMaxWaitMs: integer(env, "PATGATE_SCRYPT_MAX_WAIT", 1000, 10, 60_000, " number of milliseconds"),
    coldExchangesPerMinute: integer(
      env,
      "PATGATE_COLD_EXCHANGES_PER_MINUTE",
      60,
      1,
      10_000_000,
      " (cold exchanges per minute per client address)",
    ),
    jwtRevocationsPerMinute: integer(
      env,
      "PATGATE_JWT_REVOCATIONS_PER_MINUTE",
      30,
      1,
      1_000_000,
      " (JWT revocations per minute per PAT)",
    ),
  };
}

/**
 * Verifications at once by default: one fewer than the machine's cores (at
 * least one), so that under a flood of cold exchanges the event loop (warm
 * exchanges, the JWKS, the admin API) keeps a core to itself; and at most 3
 * of libuv's 4 threads, so that files, DNS and the embedded store keep one.
 *
 * @example defaultScryptConcurrency(2) // 1
 */
export function defaultScryptConcurrency(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, 3));
}
