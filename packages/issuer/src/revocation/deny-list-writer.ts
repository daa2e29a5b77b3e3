import type { DenyEntry, RedisKeys, RevocationEvent } from "@patgate/shared";
import { denyEntryField } from "@patgate/shared";
import type { Redis } from "ioredis";

/** Events kept on the change stream (approximately): a follower further behind reloads the snapshot. */
export const DEFAULT_STREAM_MAX_LENGTH = 100_000;
/** Expired entries pruned per write, so one write never does unbounded work. */
const PRUNE_BATCH = 100;

/**
 * Applies one revocation event atomically: for a deny entry, merge it into the
 * deny-list hash (a mark's minRev and expiresAt only ever grow: mergeDenyEntry's rule) and index
 * its expiry; then number the event (INCR) and append it to the change
 * stream, and prune a few expired entries. As one Lua script every step lands
 * or none does; all keys share one hash tag, so it runs on Redis Cluster.
 * KEYS: entries, expiry, events, sequence. ARGV: field ('' for a non-deny
 * event), entry JSON, now, stream max length, prune batch, event JSON.
 */
const WRITE_EVENT = `
local event = ARGV[6]
if ARGV[1] ~= '' then
  local entry = cjson.decode(ARGV[2])
  local existing = redis.call('HGET', KEYS[1], ARGV[1])
  if existing then
    local old = cjson.decode(existing)
    if old.expiresAt and old.expiresAt > entry.expiresAt then entry.expiresAt = old.expiresAt end
    if old.minRev and entry.minRev and old.minRev > entry.minRev then entry.minRev = old.minRev end
  end
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
  redis.call('ZADD', KEYS[2], entry.expiresAt, ARGV[1])
  event = cjson.encode({type = 'deny', entry = entry})
end
local seq = redis.call('INCR', KEYS[4])
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'e', event, 's', seq)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0, ARGV[5])
for _, field in ipairs(expired) do
  redis.call('HDEL', KEYS[1], field)
  redis.call('ZREM', KEYS[2], field)
end
return id
`;

export interface DenyListWriter {
  /** Applies an event: a deny entry (written and streamed) or a token change (streamed). Returns the stream id. */
  write(event: RevocationEvent, nowSeconds: number): Promise<string>;
}

type WithWriteCommand = Redis & {
  patgateWriteEvent(
    entries: string,
    expiry: string,
    events: string,
    sequence: string,
    field: string,
    entry: string,
    now: number,
    maxLen: number,
    prune: number,
    event: string,
  ): Promise<string>;
};

/** A writer over `redis` for the key set `keys`. */
export function createDenyListWriter(
  redis: Redis,
  keys: RedisKeys,
  maxStreamLength = DEFAULT_STREAM_MAX_LENGTH,
): DenyListWriter {
  if (!("patgateWriteEvent" in redis)) redis.defineCommand("patgateWriteEvent", { numberOfKeys: 4, lua: WRITE_EVENT });
  const client = redis as WithWriteCommand;
  return {
    write(event, nowSeconds) {
      const entry: DenyEntry | undefined = event.type === "deny" ? event.entry : undefined;
      return client.patgateWriteEvent(
        keys.denyEntries,
        keys.denyExpiry,
        keys.events,
        keys.eventSequence,
        entry ? denyEntryField(entry) : "",
        entry ? JSON.stringify(entry) : "",
        nowSeconds,
        maxStreamLength,
        PRUNE_BATCH,
        JSON.stringify(event),
      );
    },
  };
}
