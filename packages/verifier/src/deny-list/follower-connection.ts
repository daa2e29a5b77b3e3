import { settleWithin } from "@patgate/shared";
import type { Cluster, ClusterOptions, Redis, RedisOptions } from "ioredis";

/** What the follower reads from: one Redis, or a Redis Cluster (ioredis `Cluster`). */
export type FollowerRedis = Redis | Cluster;

/**
 * How much longer than its block time a read may take before the connection
 * is presumed dead. A connection can die without a reset (a NAT entry timed
 * out, a failover, a dropped route): the socket stays open, nothing arrives,
 * and TCP takes hours to give up. Redis answers a blocking read when its block
 * time ends, so silence past it and this margin means the path is gone.
 */
export const DEADLINE_GRACE_MS = 1000;

/**
 * TCP keep-alive on the follower's connection (initial delay, ms): keeps NAT
 * and firewall entries from expiring, and lets the kernel find a dead peer
 * even where the follower's own deadline does not apply (a connection at rest).
 */
const KEEP_ALIVE_MS = 10_000;

/** A read that got no answer in time: its connection is presumed dead. */
export class ReadDeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer from Redis within ${ms} ms`);
    this.name = "ReadDeadlineError";
  }
}

/**
 * Options of each connection the follower makes. The follower's deadline is
 * the only timeout: a command, socket or blocking timeout copied from the
 * given connection could cut a blocking read short (or, for ioredis's own
 * blocking timeout, answer it with an empty reply and hide the dead link).
 */
function followerConnectionOptions(deadlineMs: number): Partial<RedisOptions> {
  return {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    lazyConnect: false,
    commandTimeout: undefined,
    socketTimeout: undefined,
    blockingTimeout: undefined,
    keepAlive: KEEP_ALIVE_MS,
    // A connect that takes longer than a whole read may is as dead as a silent read.
    connectTimeout: deadlineMs,
  };
}

/** The follower's own connection: every read bounded by a deadline, replaced when one is missed. */
export interface FollowerConnection {
  /**
   * Runs `command` on the current connection; rejects with {@link ReadDeadlineError} past the
   * deadline (the connection's, or `deadlineMs` when a read may take longer, like a snapshot).
   */
  read<T>(command: (redis: FollowerRedis) => Promise<T>, deadlineMs?: number): Promise<T>;
  /** Drops the current connection (it missed a deadline) and starts a new one. */
  replace(): void;
  close(): void;
}

export interface FollowerConnectionOptions {
  /** Longest a read may go unanswered. */
  readonly deadlineMs: number;
  /** Told each error of the current connection (ioredis reconnects by itself after a reset). */
  readonly onError?: (error: unknown) => void;
  /** Told when the current connection closes. */
  readonly onClose?: () => void;
}

/** `command`, or a {@link ReadDeadlineError} once `deadlineMs` has passed without its answer. */
function withinDeadline<T>(command: Promise<T>, deadlineMs: number): Promise<T> {
  // unref'd: the follower's socket keeps the process alive while it runs; a deadline must not after close().
  return settleWithin(command, deadlineMs, () => new ReadDeadlineError(deadlineMs));
}

/**
 * A copy of `base` with the follower's options. A cluster copy keeps the
 * cluster's own options (seed nodes, `scaleReads`, NAT map, TLS) and gets the
 * follower's on each node connection, plus an offline queue of its own: the
 * blocking read of a follower then holds a node connection of its own
 * cluster client, never one that other commands queue behind.
 */
function copyConnection(base: FollowerRedis, options: Partial<RedisOptions>): FollowerRedis {
  if (!base.isCluster) return (base as Redis).duplicate(options);
  const cluster = base as Cluster;
  const { enableOfflineQueue, lazyConnect, ...node } = options;
  const copied: ClusterOptions = {
    ...cluster.options,
    enableOfflineQueue: enableOfflineQueue ?? true,
    lazyConnect: lazyConnect ?? false,
    redisOptions: { ...cluster.options.redisOptions, ...node },
  };
  return cluster.duplicate([], copied);
}

/** Opens a connection of the follower's own, copied from `base` (its `duplicate()`). */
export function openFollowerConnection(base: FollowerRedis, options: FollowerConnectionOptions): FollowerConnection {
  const { deadlineMs, onError, onClose } = options;
  let closed = false;

  /** A new connection; only the current one's events count. */
  function connect(): FollowerRedis {
    const connection = copyConnection(base, followerConnectionOptions(deadlineMs));
    connection.on("error", (error: unknown) => {
      if (connection === current && !closed) onError?.(error);
    });
    connection.on("close", () => {
      if (connection === current) onClose?.();
    });
    return connection;
  }

  let current = connect();
  return {
    read: (command, readDeadlineMs = deadlineMs) => withinDeadline(command(current), readDeadlineMs),
    /**
     * Not `disconnect(true)`: the dead one's queued reads would be sent again
     * after the reconnect and block it for their full time. Closing it for good
     * rejects whatever was pending on it, and nothing of it is reused.
     */
    replace() {
      const dead = current;
      current = connect();
      dead.disconnect();
    },
    close() {
      closed = true;
      current.disconnect();
    },
  };
}
