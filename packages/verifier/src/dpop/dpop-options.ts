import type { RedisConnectionOptions } from "../deny-list/redis-connection.js";
import type { DpopPolicy } from "./dpop-policy.js";

export type { DpopPolicy } from "./dpop-policy.js";

/**
 * The verifier's DPoP (RFC 9449) policy. Bound JWTs (`cnf.jkt`) always need a
 * proof; `required` makes every JWT need one. The replay of proofs is checked
 * per process (a bounded window in memory), or by every replica through the
 * deny-list's Redis (`replay: "redis"`).
 */
export interface DpopPolicyOptions {
  /** Every JWT must come as `Authorization: DPoP` with a proof, bound or not; default false. */
  readonly required?: boolean;
  /** Largest distance of a proof's `iat` from now, either way, seconds; default 60 (1 to 600). */
  readonly maxAge?: number;
  /** Proofs remembered for the replay check at most (in memory); default 100 000. */
  readonly replayCapacity?: number;
  /**
   * Where used proofs are remembered: `"memory"` (this process, the default)
   * or `"redis"`, the deny-list's Redis (`denyList: { redis }` is then
   * required), so a proof replayed to another replica is refused too.
   */
  readonly replay?: "memory" | "redis" | DpopReplayRedis;
  /**
   * Resource-server nonces (RFC 9449 §9): a proof without a nonce this
   * verifier (or a replica with the same `secret`) issued is refused with 401
   * `use_dpop_nonce` and a fresh `DPoP-Nonce` header. `true` uses a random
   * secret of this process; replicas behind one load balancer need a shared `secret`.
   */
  readonly nonce?: boolean | DpopNonceOptions;
}

/** A Redis of its own for the shared replay check: a URL, cluster seed URLs or an ioredis client, and its key prefix. */
export type DpopReplayRedis = RedisConnectionOptions;

/** The resource-server nonce (see {@link DpopPolicyOptions.nonce}). */
export interface DpopNonceOptions {
  /** The HMAC secret every replica shares, at least 32 characters; default: random per process. */
  readonly secret?: string;
  /** A nonce lives at least this long and at most twice it, seconds; default 60 (10 to 3600). */
  readonly lifetimeSeconds?: number;
}

/** The `dpop` option: `"required"` is short for `{ required: true }`. */
export type DpopOption = "required" | DpopPolicyOptions;

/** The resolved option: the policy the core checks by, and where used proofs are remembered. */
export interface ResolvedDpopOption extends DpopPolicy {
  readonly replay: "memory" | "redis" | DpopReplayRedis;
}

export const DEFAULT_DPOP_MAX_AGE = 60;
export const DEFAULT_DPOP_REPLAY_CAPACITY = 100_000;
export const DEFAULT_DPOP_NONCE_LIFETIME = 60;

function replayProblem(replay: unknown): string | undefined {
  if (replay === undefined || replay === "memory" || replay === "redis") return undefined;
  const redis = (replay as { redis?: unknown } | null)?.redis;
  if (typeof replay === "object" && replay !== null && redis !== undefined && redis !== null) return undefined;
  return 'replay must be "memory", "redis" or { redis, keyPrefix? }';
}

function nonceProblem(nonce: unknown): string | undefined {
  if (nonce === undefined || typeof nonce === "boolean") return undefined;
  if (typeof nonce !== "object" || nonce === null || Array.isArray(nonce))
    return "nonce must be a boolean or { secret?, lifetimeSeconds? }";
  const { secret, lifetimeSeconds } = nonce as DpopNonceOptions;
  if (secret !== undefined && (typeof secret !== "string" || secret.length < 32))
    return "nonce.secret must be a string of at least 32 characters";
  if (
    lifetimeSeconds !== undefined &&
    (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 10 || lifetimeSeconds > 3600)
  )
    return "nonce.lifetimeSeconds must be a whole number of seconds from 10 to 3600";
  return undefined;
}

/** What is wrong with a `dpop` option, or undefined when it is fine. */
export function dpopOptionProblem(option: unknown): string | undefined {
  if (option === "required") return undefined;
  if (typeof option !== "object" || option === null || Array.isArray(option))
    return 'must be "required" or { required?, maxAge?, replayCapacity?, replay?, nonce? }';
  const { required, maxAge, replayCapacity, replay, nonce } = option as DpopPolicyOptions;
  const problem = replayProblem(replay) ?? nonceProblem(nonce);
  if (problem) return problem;
  if (required !== undefined && typeof required !== "boolean") return "required must be a boolean";
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 1 || maxAge > 600))
    return "maxAge must be a whole number of seconds from 1 to 600";
  if (replayCapacity !== undefined && (!Number.isInteger(replayCapacity) || replayCapacity < 1))
    return "replayCapacity must be a positive integer";
  return undefined;
}

/** The policy of a checked option; absent, bound JWTs still need proofs (with the defaults). */
export function resolveDpopPolicy(option: DpopOption | undefined): ResolvedDpopOption {
  const given: DpopPolicyOptions = option === "required" ? { required: true } : (option ?? {});
  return {
    required: given.required ?? false,
    maxAgeSeconds: given.maxAge ?? DEFAULT_DPOP_MAX_AGE,
    replayCapacity: given.replayCapacity ?? DEFAULT_DPOP_REPLAY_CAPACITY,
    replay: given.replay ?? "memory",
    ...(given.nonce === undefined || given.nonce === false ? {} : { nonce: resolveNonce(given.nonce) }),
  };
}

function resolveNonce(nonce: true | DpopNonceOptions): NonNullable<DpopPolicy["nonce"]> {
  const given = nonce === true ? {} : nonce;
  return {
    lifetimeSeconds: given.lifetimeSeconds ?? DEFAULT_DPOP_NONCE_LIFETIME,
    ...(given.secret === undefined ? {} : { secret: given.secret }),
  };
}
