-- Applies one revocation event atomically. For a deny entry: merge it into
-- the deny-list hash (a mark's minRev and expiresAt only ever grow, the rule
-- of mergeDenyEntry) and index its expiry. Then number the event (INCR),
-- append it to the change stream, and prune a few expired entries. Every step
-- lands or none does; the keys share one hash tag, so it runs on Redis Cluster.
--
-- KEYS[1] entries: hash, deny-list field -> entry JSON
-- KEYS[2] expiry: sorted set, deny-list field -> expiresAt
-- KEYS[3] events: the change stream
-- KEYS[4] sequence: counter numbering the stream's events
-- ARGV[1] field: the entry's deny-list field, '' for an event that is not a deny entry
-- ARGV[2] entry: the entry's JSON, '' for an event that is not a deny entry
-- ARGV[3] now: epoch seconds; entries expired by then are pruned
-- ARGV[4] maxLength: events kept on the stream (approximately)
-- ARGV[5] pruneBatch: most expired entries pruned by this call
-- ARGV[6] event: the event's JSON (a deny event is written again with the merged entry)
-- ARGV[7] eventField: the stream field holding the event JSON
-- ARGV[8] sequenceField: the stream field holding the event's number
-- Returns the new stream entry's id.
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
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', ARGV[7], event, ARGV[8], seq)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0, ARGV[5])
for _, field in ipairs(expired) do
  redis.call('HDEL', KEYS[1], field)
  redis.call('ZREM', KEYS[2], field)
end
return id
