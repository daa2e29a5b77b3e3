import type { DenyEntry, RedisKeys, RevocationEvent } from "@patgate/shared";
import { denyEntryField } from "@patgate/shared";
import type { Redis } from "ioredis";

/** Events kept on the change stream (approximately): a follower further behind reloads the snapshot. */
export const DEFAULT_STREAM_MAX_LENGTH = 100_000;
/** Expired entries pruned per write, so one write never does unbounded work. */
const PRUNE_BATCH = 100;

/**
 * Writes a deny entry and its event in one step: merge into the deny-list
 * hash (a mark's notBefore and expiresAt only ever grow), index its expiry,
 * append the event to the change stream, prune a few expired entries.
 * Atomic as a Lua script; every key shares one hash tag, so it runs on Redis Cluster.
 */
const WRITE_DENY = `
local entry = cjson.decode(ARGV[2])
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  local old = cjson.decode(existing)
  if old.expiresAt and old.expiresAt > entry.expiresAt then entry.expiresAt = old.expiresAt end
  if old.notBefore and entry.notBefore and old.notBefore > entry.notBefore then entry.notBefore = old.notBefore end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
redis.call('ZADD', KEYS[2], entry.expiresAt, ARGV[1])
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'e', cjson.encode({type = 'deny', entry = entry}))
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

type WithDenyCommand = Redis & {
  patgateWriteDeny(
    entries: string,
    expiry: string,
    events: string,
    field: string,
    entry: string,
    now: number,
    maxLen: number,
    prune: number,
  ): Promise<string>;
};

/** A writer over `redis` for the key set `keys`. */
export function createDenyListWriter(
  redis: Redis,
  keys: RedisKeys,
  maxStreamLength = DEFAULT_STREAM_MAX_LENGTH,
): DenyListWriter {
  if (!("patgateWriteDeny" in redis)) redis.defineCommand("patgateWriteDeny", { numberOfKeys: 3, lua: WRITE_DENY });
  const client = redis as WithDenyCommand;
  return {
    async write(event, nowSeconds) {
      if (event.type === "deny") {
        const entry: DenyEntry = event.entry;
        return client.patgateWriteDeny(
          keys.denyEntries,
          keys.denyExpiry,
          keys.events,
          denyEntryField(entry),
          JSON.stringify(entry),
          nowSeconds,
          maxStreamLength,
          PRUNE_BATCH,
        );
      }
      const id = await redis.xadd(keys.events, "MAXLEN", "~", maxStreamLength, "*", "e", JSON.stringify(event));
      return id ?? "";
    },
  };
}
