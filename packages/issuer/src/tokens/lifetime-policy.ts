import { invalid } from "./errors.js";

/** `366d`, `12h`, `90m` or seconds: how the policy's limit reads in an error. */
export function describeLifetime(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * The lifetime policy (`PATGATE_MAX_TOKEN_LIFETIME`): an expiry checked against
 * it, or the policy's longest for none at all. Undefined `maxLifetime`: no policy.
 */
export function createLifetimePolicy(maxLifetime: number | undefined) {
  if (maxLifetime !== undefined && (!Number.isSafeInteger(maxLifetime) || maxLifetime <= 0))
    throw new RangeError("maxLifetimeSeconds must be a positive integer");
  return {
    maxLifetime,
    /** A lifetime beyond the policy is refused; none at all gets the policy's longest. */
    expiryWithinPolicy(expiresAt: number | null | undefined, at: number): number | null | undefined {
      if (maxLifetime === undefined) return expiresAt;
      const limit = `${describeLifetime(maxLifetime)} from now (PATGATE_MAX_TOKEN_LIFETIME)`;
      if (expiresAt === null) throw invalid("expiresAt", `cannot be removed: every PAT expires within ${limit}`);
      if (expiresAt === undefined) return at + maxLifetime;
      if (expiresAt > at + maxLifetime) throw invalid("expiresAt", `must be at most ${limit}`);
      return expiresAt;
    },
  };
}
