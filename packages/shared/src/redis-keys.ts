/** Default prefix of every Redis key patgate writes; issuer and verifier agree on it. */
export const DEFAULT_REDIS_PREFIX = "patgate";

/**
 * Name of the BullMQ queue that carries revocations from the API to the
 * worker; its keys live under {@link RedisKeys.queuePrefix}.
 */
export const REVOCATION_QUEUE = "revocations";

/**
 * The fields of a change-stream entry, as the issuer's deny-list writer
 * (`XADD ... e <event JSON> s <number>`) writes them and every follower reads them.
 */
export const STREAM_FIELDS = Object.freeze({
  /** The revocation event, as JSON (see `parseRevocationEvent`). */
  event: "e",
  /** The event's number: one more than the previous event's, so a follower can see a gap. */
  sequence: "s",
} as const);

/** Every Redis key and key prefix patgate uses, built in one place. */
export interface RedisKeys {
  /** The prefix these keys were built for. */
  readonly prefix: string;
  /** Hash: `denyEntryField(entry)` → JSON entry. The deny-list snapshot. */
  readonly denyEntries: string;
  /** Sorted set: field → expiresAt, so expired entries are pruned without a scan. */
  readonly denyExpiry: string;
  /** Stream of revocation events, trimmed to a bounded length; each carries a sequence number. */
  readonly events: string;
  /** Counter numbering stream events, so a follower can tell it missed some (a gap) and reload. */
  readonly eventSequence: string;
  /**
   * Set once the deny-list holds every revocation still in force. Missing means
   * Redis started empty or lost its data: the outbox sweeper then writes the
   * revocations still in force again from DynamoDB, and sets it.
   */
  readonly denyComplete: string;
  /** BullMQ `prefix` option for the revocation queue ({@link REVOCATION_QUEUE}). */
  readonly queuePrefix: string;
  /** Rate-limit counter key for a bucket name (spread over the cluster). */
  rateLimit(bucket: string): string;
  /**
   * Failed-exchange counters of one client address (`tokenId` absent) or of one
   * token id from that address. Both carry the address as their hash tag, so
   * one Lua script updates the pair on Redis Cluster, and addresses spread
   * over the cluster.
   *
   * @example redisKeys().failures("10.0.0.7", "3kqXb0cJ2Qe7T1mYw9HfL") // "patgate:rl:fail:{10.0.0.7}:3kqXb0cJ2Qe7T1mYw9HfL"
   */
  failures(address: string, tokenId?: string): string;
  /** String, with a TTL: a web-console session (by its random id) that was signed out. */
  consoleSessionEnded(sid: string): string;
  /**
   * String, with a TTL: a web-console form (by its one-time key, within session
   * `sid`) that was submitted; empty while its change runs, then the id of the
   * PAT it created or rotated, so a re-sent form changes nothing.
   *
   * @example redisKeys("pg").consoleFormSubmitted("0b1c…", "q2Lx…") // "{pg}:console:form:0b1c…:q2Lx…"
   */
  consoleFormSubmitted(sid: string, formKey: string): string;
  /**
   * String, with a TTL: a DPoP proof already used (its key's thumbprint and
   * `jti`, hashed into `id` by the caller). The id is the hash tag, so proofs
   * spread over a cluster.
   *
   * @example redisKeys().dpopProofSeen("x7Qk...") // "patgate:dpop:jti:{x7Qk...}"
   */
  dpopProofSeen(id: string): string;
}

/**
 * Builds the key set for `prefix`. The revocation keys (deny-list, stream,
 * queue) share the hash tag `{prefix}`, so one Lua script can update them
 * atomically on Redis Cluster, as BullMQ recommends for its own prefix.
 *
 * @example redisKeys().events // "{patgate}:deny:events"
 */
export function redisKeys(prefix: string = DEFAULT_REDIS_PREFIX): RedisKeys {
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new TypeError(`Redis key prefix must be 1-64 of [A-Za-z0-9_.:-], got ${JSON.stringify(prefix)}`);
  }
  const tag = `{${prefix}}`;
  return Object.freeze({
    prefix,
    denyEntries: `${tag}:deny:entries`,
    denyExpiry: `${tag}:deny:expiry`,
    events: `${tag}:deny:events`,
    eventSequence: `${tag}:deny:seq`,
    denyComplete: `${tag}:deny:complete`,
    queuePrefix: `${tag}:queue`,
    rateLimit: (bucket: string) => `${prefix}:rl:${bucket}`,
    failures: (address: string, tokenId?: string) => {
      // A brace would move the hash tag: never in an address, refused rather than mis-slotted.
      if (/[{}]/.test(address) || /[{}]/.test(tokenId ?? "")) throw new TypeError("no braces in a failure key part");
      return `${prefix}:rl:fail:{${address}}${tokenId === undefined ? "" : `:${tokenId}`}`;
    },
    consoleSessionEnded: (sid: string) => {
      if (/[{}]/.test(sid)) throw new TypeError("no braces in a session id");
      return `${tag}:console:ended:${sid}`;
    },
    consoleFormSubmitted: (sid: string, formKey: string) => {
      if (/[{}]/.test(sid) || /[{}]/.test(formKey)) throw new TypeError("no braces in a console form key");
      return `${tag}:console:form:${sid}:${formKey}`;
    },
    dpopProofSeen: (id: string) => {
      if (/[{}]/.test(id)) throw new TypeError("no braces in a DPoP proof id");
      return `${prefix}:dpop:jti:{${id}}`;
    },
  });
}
