import type { DenyCheckClaims, DenyEntry } from "@patgate/shared";

/**
 * What `verify` asks on every call, cache hit or not: is this JWT denied?
 * Implemented in memory ({@link createMemoryDenyList}) and by the Redis
 * follower ({@link createRedisDenyList}) that mirrors the issuer's deny-list.
 */
export interface DenyList {
  /** The entry denying these claims at `nowSeconds`, if any. */
  check(claims: DenyCheckClaims, nowSeconds: number): DenyEntry | undefined;
  /**
   * False when the list cannot be trusted to be current (its source has been
   * unreachable for longer than allowed): `verify` then fails closed with
   * `deny_list_unavailable`. Absent means always available.
   */
  available?(nowMs: number): boolean;
  /**
   * A number that changes whenever an entry is added or the list is replaced.
   * Entries only ever stop denying on their own (they expire), so a token
   * found not denied at one version stays not denied until the version moves:
   * `verify` then skips the lookups for a cached token. Absent: it looks up on
   * every call.
   */
  readonly version?: number | undefined;
  /** Resolves once the list is loaded (the Redis snapshot); `verify` waits for it. */
  readonly ready?: Promise<void>;
  close?(): Promise<void>;
}
