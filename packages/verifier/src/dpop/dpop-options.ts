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
  readonly replay?: "memory" | "redis";
}

/** The `dpop` option: `"required"` is short for `{ required: true }`. */
export type DpopOption = "required" | DpopPolicyOptions;

/** The resolved policy. */
export interface DpopPolicy {
  readonly required: boolean;
  readonly maxAgeSeconds: number;
  readonly replayCapacity: number;
  readonly replay: "memory" | "redis";
}

export const DEFAULT_DPOP_MAX_AGE = 60;
export const DEFAULT_DPOP_REPLAY_CAPACITY = 100_000;

/** What is wrong with a `dpop` option, or undefined when it is fine. */
export function dpopOptionProblem(option: unknown): string | undefined {
  if (option === "required") return undefined;
  if (typeof option !== "object" || option === null || Array.isArray(option))
    return 'must be "required" or { required?, maxAge?, replayCapacity?, replay? }';
  const { required, maxAge, replayCapacity, replay } = option as DpopPolicyOptions;
  if (replay !== undefined && replay !== "memory" && replay !== "redis") return 'replay must be "memory" or "redis"';
  if (required !== undefined && typeof required !== "boolean") return "required must be a boolean";
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 1 || maxAge > 600))
    return "maxAge must be a whole number of seconds from 1 to 600";
  if (replayCapacity !== undefined && (!Number.isInteger(replayCapacity) || replayCapacity < 1))
    return "replayCapacity must be a positive integer";
  return undefined;
}

/** The policy of a checked option; absent, bound JWTs still need proofs (with the defaults). */
export function resolveDpopPolicy(option: DpopOption | undefined): DpopPolicy {
  const given: DpopPolicyOptions = option === "required" ? { required: true } : (option ?? {});
  return {
    required: given.required ?? false,
    maxAgeSeconds: given.maxAge ?? DEFAULT_DPOP_MAX_AGE,
    replayCapacity: given.replayCapacity ?? DEFAULT_DPOP_REPLAY_CAPACITY,
    replay: given.replay ?? "memory",
  };
}
