-- Reserves a try of a secret on both lock-out counters, or refuses, in one
-- step (see failure-limiter.ts). Each counter is a hash: `f` failures, `p`
-- tries in flight, `w` the id of its window (set when the window opens, with
-- its expiry), so a late settle never touches the next window's count.
--
-- KEYS[1] pair: the counter of one token id from one client address
-- KEYS[2] address: the counter of the client address
-- ARGV[1] pairLimit: failures allowed on the pair counter per window
-- ARGV[2] addressLimit: failures allowed on the address counter per window
-- ARGV[3] windowSeconds: length of a window
-- ARGV[4] windowId: the id of a window this call opens
-- Returns {0, pair window id, address window id} once reserved, or {seconds to wait}.
local wait = 0
for i = 1, 2 do
  local counts = redis.call('HMGET', KEYS[i], 'f', 'p')
  local failed, pending, limit = tonumber(counts[1]) or 0, tonumber(counts[2]) or 0, tonumber(ARGV[i])
  if failed + pending >= limit then
    local w = 1
    if failed >= limit then w = math.max(1, redis.call('TTL', KEYS[i])) end
    wait = math.max(wait, w)
  end
end
if wait > 0 then return {wait} end
local reply = {0}
for i = 1, 2 do
  if redis.call('HSETNX', KEYS[i], 'w', ARGV[4]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[3]) end
  redis.call('HINCRBY', KEYS[i], 'p', 1)
  reply[i + 1] = redis.call('HGET', KEYS[i], 'w')
end
return reply
