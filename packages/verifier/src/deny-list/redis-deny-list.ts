import { DEFAULT_REDIS_PREFIX } from "@patgate/shared";
import type { Cluster, Redis } from "ioredis";
import { errorText, type VerifierLogger } from "../logger.js";
import type { DenyList } from "./deny-list.js";
import { connectionTemplate } from "./redis-connection.js";
import { sharedFollowedList } from "./shared-follower.js";
import { type FollowerRedis, type FollowerStatus, startStreamFollower } from "./stream-follower.js";

export interface RedisDenyListOptions {
  /**
   * A Redis URL (`redis://…`, `rediss://…`); the seed nodes of a Redis Cluster
   * (an array of such URLs: ElastiCache Serverless, MemoryDB, cluster mode
   * enabled); or an ioredis `Redis` or `Cluster` to copy (it is not closed).
   *
   * @example { redis: ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"], readFromReplicas: true }
   */
  readonly redis: string | readonly string[] | Redis | Cluster;
  /**
   * With cluster seed nodes: read the change stream from replicas (ioredis
   * `scaleReads: "slave"`), so thousands of verifiers do not all block on the
   * one primary holding patgate's slot. The price is replication lag: a
   * revocation reaches these verifiers when the replica has it (usually well
   * under a millisecond more, more when the replica falls behind). Default
   * false: read from the primary. With a `Cluster` given, its own
   * `scaleReads` applies.
   */
  readonly readFromReplicas?: boolean;
  /** Key prefix; the issuer's default (`patgate`, `PATGATE_REDIS_PREFIX`). */
  readonly keyPrefix?: string;
  /**
   * How long the list may go without news from Redis before `verify` fails
   * closed (`deny_list_unavailable`, a 503). Default 300 s: the default JWT
   * lifetime, so a revocation can never be missed for longer than a token lives.
   */
  readonly maxStalenessSeconds?: number;
  /** Called after each change is applied (a new entry, or a snapshot reload): for metrics, or to react at once. */
  readonly onChange?: () => void;
  /**
   * Told, once, why the first snapshot cannot be loaded (Redis refused or
   * unreachable, credentials refused, ...) while the list keeps retrying.
   * Default: none (`createVerifier` passes its `logger`).
   */
  readonly logger?: VerifierLogger;
  readonly now?: () => number;
}

/** A deny-list that mirrors the issuer's Redis deny-list, following its change stream. */
export interface RedisDenyList extends DenyList {
  readonly ready: Promise<void>;
  status(): FollowerStatus & { readonly size: number; readonly stalenessMs: number };
}

/**
 * Block time of the follower's reads: 2 s, or a quarter of the staleness
 * allowed when that is shorter. A quiet stream refreshes `lastSyncAt` once per
 * read, so several reads must fit in `maxStalenessSeconds` or the list would
 * fail closed between two of them; and the follower's deadline (block time
 * plus 1 s) then notices a connection that died silently in about as long.
 */
function followerBlockMs(maxStalenessSeconds: number): number {
  return Math.min(2000, Math.max(100, Math.floor((maxStalenessSeconds * 1000) / 4)));
}

/**
 * Loads the deny-list snapshot from Redis and follows every change after it
 * (see `startStreamFollower`). `available()` turns false once Redis has been
 * silent for longer than `maxStalenessSeconds`: the documented fail-closed policy.
 */
export async function createRedisDenyList(options: RedisDenyListOptions): Promise<RedisDenyList> {
  const { keyPrefix = DEFAULT_REDIS_PREFIX, maxStalenessSeconds = 300, onChange, logger, now = Date.now } = options;
  const owned = typeof options.redis === "string" || Array.isArray(options.redis);
  const base = owned ? await connectionTemplate(options) : (options.redis as FollowerRedis);
  const blockMs = followerBlockMs(maxStalenessSeconds);
  const { list, follower, subscribe } = sharedFollowedList(
    owned && now === Date.now ? sharingKey(options, keyPrefix, blockMs) : undefined,
    startStreamFollower,
    base,
    { keyPrefix, blockMs, now },
  );
  const leave = subscribe({
    onChange,
    onFirstLoadError: (error) =>
      logger?.warn(
        `@patgate/verifier: the deny-list cannot load from Redis (${errorText(error)}); ` +
          "verify answers deny_list_unavailable (503) until it does, retrying",
      ),
  });
  if (owned) base.disconnect();
  const stalenessMs = () =>
    follower.status().lastSyncAt === 0 ? Number.POSITIVE_INFINITY : now() - follower.status().lastSyncAt;

  return {
    ready: follower.ready,
    check: (claims, nowSeconds) => list.check(claims, nowSeconds),
    get version() {
      return list.version;
    },
    available: () => follower.status().ready && stalenessMs() <= maxStalenessSeconds * 1000,
    status: () => ({ ...follower.status(), size: list.size, stalenessMs: stalenessMs() }),
    close: leave,
  };
}

/** What a list made from URLs follows: lists of one process with the same key share one follower. */
function sharingKey(options: RedisDenyListOptions, keyPrefix: string, blockMs: number): string {
  return JSON.stringify([options.redis, options.readFromReplicas === true, keyPrefix, blockMs]);
}
