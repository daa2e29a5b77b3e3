import type { RedisOptions } from "ioredis";

/**
 * How the issuer's Redis connections find out that Redis is gone.
 *
 * A connection can die without a reset: a NAT entry times out, a failover
 * moves the address, a route is dropped. The socket stays open, nothing comes
 * back, and ioredis by default waits for TCP to give up, which takes from
 * minutes (unacknowledged writes) to hours (keep-alive). Every connection
 * therefore gets TCP keep-alive, a connect timeout and a socket timeout (a
 * connection that owes replies and hears nothing for that long is destroyed
 * and made again); command connections also get a per-command timeout, so a
 * caller fails fast instead of waiting for the reconnect.
 *
 * Blocking reads have their own deadlines: the deny-list follower bounds each
 * XREAD itself (`@patgate/verifier/stream-follower`), and BullMQ's worker
 * bounds each BZPOPMIN (its block time plus 1 s, then it reconnects).
 *
 * @example
 * const redis = openRedis(target, commandConnectionOptions());
 * const limits = openRedis(target, { ...commandConnectionOptions(), enableAutoPipelining: true });
 * const workerConnection = duplicateConnection(redis, blockingConnectionOptions());
 */

/**
 * TCP keep-alive initial delay (ms), on every connection: keepalive packets
 * stop NAT and firewall entries of an idle connection from expiring, and let
 * the kernel close one whose peer is gone. Default 10 000 ms.
 */
export const KEEP_ALIVE_MS = 10_000;

/** Longest a TCP connect may take before ioredis gives up and tries again (its default: 10 s). Default 2000 ms. */
export const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Longest one command on a command connection may take before it fails with
 * "Command timed out". Redis answers in well under a millisecond here, so a
 * second means it is not answering. Default 1000 ms.
 */
export const COMMAND_TIMEOUT_MS = 1_000;

/**
 * A command connection that owes replies and receives nothing for this long
 * is dead: ioredis destroys the socket and reconnects, so the next callers do
 * not each wait out {@link COMMAND_TIMEOUT_MS} on it. Longer than the command
 * timeout, so one slow command is not mistaken for a dead link. Default 2000 ms.
 */
export const COMMAND_SOCKET_TIMEOUT_MS = 2_000;

/**
 * Longest BullMQ blocks on a connection: a worker's BZPOPMIN (at most 10 s,
 * BullMQ's `maximumBlockTimeout`) and a QueueEvents XREAD (its
 * `blockingTimeout`, 10 s by default). Default 10 000 ms.
 */
export const BULLMQ_MAX_BLOCK_MS = 10_000;

/**
 * Socket timeout of a connection BullMQ blocks on: longer than its longest
 * block plus BullMQ's own 1 s watchdog, so a live blocking read is never cut,
 * and a dead connection is still dropped and made again within seconds. It
 * matters most for the worker's non-blocking connection (job moves, lock
 * renewals, the stalled check), which has no watchdog of its own and cannot
 * have a command timeout: BullMQ copies it for its blocking reads.
 * Default 12 000 ms.
 */
export const BLOCKING_SOCKET_TIMEOUT_MS = BULLMQ_MAX_BLOCK_MS + 2_000;

/**
 * Options of a command connection (rate limits, readiness, the sweeper, the
 * queue producer, the deny-list writer): nothing waits on Redis for long.
 * No offline queue and one retry, so while Redis is away commands fail at
 * once; {@link COMMAND_TIMEOUT_MS} per command, so they also fail when it is
 * silently gone; and {@link COMMAND_SOCKET_TIMEOUT_MS}, so the dead connection
 * is replaced instead of timing out every caller in turn.
 *
 * @example openRedis({ url }, commandConnectionOptions())
 */
export function commandConnectionOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: COMMAND_SOCKET_TIMEOUT_MS,
    keepAlive: KEEP_ALIVE_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
}

/**
 * Options of a connection BullMQ blocks on: the revocation worker's (BullMQ
 * duplicates it for its BZPOPMIN) and a QueueEvents listener's. Usually passed
 * to `duplicateConnection()` of a command connection (on a cluster: to each node's connection), so every timeout that would break
 * a blocking read is cleared explicitly rather than inherited:
 * - `maxRetriesPerRequest: null` and an offline queue, as BullMQ requires of
 *   a worker: its commands wait for a reconnect instead of failing;
 * - no `commandTimeout`: it applies to blocking commands too, and would abort
 *   every BZPOPMIN / XREAD BLOCK that waits longer (BullMQ's documented trap);
 * - no ioredis `blockingTimeout`: it answers a blocking read with an empty
 *   reply when its time is up, which BullMQ takes for a quiet queue, so
 *   BullMQ's own watchdog would never see the dead connection;
 * - {@link BLOCKING_SOCKET_TIMEOUT_MS}, keep-alive and a connect timeout.
 *
 * @example duplicateConnection(connection, blockingConnectionOptions())
 */
export function blockingConnectionOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    commandTimeout: undefined,
    blockingTimeout: undefined,
    socketTimeout: BLOCKING_SOCKET_TIMEOUT_MS,
    keepAlive: KEEP_ALIVE_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
}
