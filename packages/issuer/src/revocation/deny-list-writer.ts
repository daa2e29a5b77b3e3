import { type DenyEntry, denyEntryField, type RedisKeys, type RevocationEvent, STREAM_FIELDS } from "@patgate/shared";
import { Cluster } from "ioredis";
import type { RedisConnection } from "../redis/connection.js";
import { redisScripts } from "../redis/scripts.js";

/** Events kept on the change stream (approximately): a follower further behind reloads the snapshot. */
export const DEFAULT_STREAM_MAX_LENGTH = 100_000;
/** Expired entries pruned per write, so one write never does unbounded work. */
const PRUNE_BATCH = 100;
/**
 * On a cluster, how long a write waits for a replica to acknowledge it
 * (`WAIT 1`) before the job counts as done. Replication is asynchronous: a
 * primary killed right after answering takes the write with it, and the
 * promoted replica never had it, while the outbox already says "propagated".
 * Waiting for one replica closes that window. Past this time (a replica far
 * behind, or a shard without one) the write stands as it is. Default 500 ms.
 */
export const REPLICA_ACK_MS = 500;

/**
 * Waits until a replica of the node holding `key` has every write this
 * connection made to that node. A pipeline runs on the node of its keyed
 * commands, so the keyless WAIT goes with the EXISTS to the right primary;
 * WAIT counts the writes of the connection it runs on (the one the script used).
 */
async function replicated(redis: Cluster, key: string): Promise<number> {
  const results = await redis.pipeline().exists(key).wait(1, REPLICA_ACK_MS).exec();
  const [, ack] = results?.[1] ?? [];
  return Number(ack ?? 0);
}

/**
 * Writes revocation events to Redis: each one a single Lua script
 * (`lua/write-revocation-event.lua`) that merges a deny entry into the
 * deny-list (a mark's minRev and expiresAt only ever grow: mergeDenyEntry's
 * rule), numbers the event and appends it to the change stream, and prunes a
 * few expired entries, so every step lands or none does. On a Redis Cluster
 * the write also waits (up to {@link REPLICA_ACK_MS}) for a replica to have
 * it, so a failover right after cannot lose a revocation already reported propagated.
 */
export interface DenyListWriter {
  /** Applies an event: a deny entry (written and streamed) or a token change (streamed). Returns the stream id. */
  write(event: RevocationEvent, nowSeconds: number): Promise<string>;
}

/** A writer over `redis` for the key set `keys`. */
export function createDenyListWriter(
  redis: RedisConnection,
  keys: RedisKeys,
  maxStreamLength = DEFAULT_STREAM_MAX_LENGTH,
  options: { readonly replicaAck?: boolean } = {},
): DenyListWriter {
  const replicaAck = options.replicaAck ?? true;
  const scripts = redisScripts(redis);
  return {
    async write(event, nowSeconds) {
      const entry: DenyEntry | undefined = event.type === "deny" ? event.entry : undefined;
      const id = await scripts.writeRevocationEvent({
        keys: { entries: keys.denyEntries, expiry: keys.denyExpiry, events: keys.events, sequence: keys.eventSequence },
        args: {
          field: entry ? denyEntryField(entry) : "",
          entry: entry ? JSON.stringify(entry) : "",
          now: nowSeconds,
          maxLength: maxStreamLength,
          pruneBatch: PRUNE_BATCH,
          event: JSON.stringify(event),
          eventField: STREAM_FIELDS.event,
          sequenceField: STREAM_FIELDS.sequence,
        },
      });
      if (replicaAck && redis instanceof Cluster) await replicated(redis, keys.events);
      return id;
    },
  };
}
