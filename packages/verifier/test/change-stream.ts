import { denyEntryField, type RedisKeys, type RevocationEvent, STREAM_FIELDS } from "@patgate/shared";
import type { Redis } from "ioredis";

/**
 * Appends an event to the change stream the way the issuer's worker does: a
 * deny entry into the hash (and its expiry index), then the event, numbered.
 * Returns the stream id.
 */
export async function appendEvent(
  redis: Redis,
  keys: RedisKeys,
  event: RevocationEvent,
  streamId = "*",
): Promise<string> {
  const seq = await redis.incr(keys.eventSequence);
  const write = redis.multi();
  if (event.type === "deny") {
    const field = denyEntryField(event.entry);
    write
      .hset(keys.denyEntries, field, JSON.stringify(event.entry))
      .zadd(keys.denyExpiry, event.entry.expiresAt, field);
  }
  write.xadd(keys.events, streamId, STREAM_FIELDS.event, JSON.stringify(event), STREAM_FIELDS.sequence, String(seq));
  const results = await write.exec();
  return results?.at(-1)?.[1] as string;
}
