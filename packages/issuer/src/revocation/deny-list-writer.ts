import { type DenyEntry, denyEntryField, type RedisKeys, type RevocationEvent, STREAM_FIELDS } from "@patgate/shared";
import type { RedisConnection } from "../redis/connection.js";
import { redisScripts } from "../redis/scripts.js";

/** Events kept on the change stream (approximately): a follower further behind reloads the snapshot. */
export const DEFAULT_STREAM_MAX_LENGTH = 100_000;
/** Expired entries pruned per write, so one write never does unbounded work. */
const PRUNE_BATCH = 100;

/**
 * Writes revocation events to Redis: each one a single Lua script
 * (`lua/write-revocation-event.lua`) that merges a deny entry into the
 * deny-list (a mark's minRev and expiresAt only ever grow: mergeDenyEntry's
 * rule), numbers the event and appends it to the change stream, and prunes a
 * few expired entries, so every step lands or none does.
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
): DenyListWriter {
  const scripts = redisScripts(redis);
  return {
    write(event, nowSeconds) {
      const entry: DenyEntry | undefined = event.type === "deny" ? event.entry : undefined;
      return scripts.writeRevocationEvent({
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
    },
  };
}
