-- Adds requests to a per-client request counter, opening its window when it
-- has none (see shared-request-limit.ts).
--
-- KEYS[1] counter: the client's request count in the current window
-- ARGV[1] by: requests to add
-- ARGV[2] windowMs: length of a window, in milliseconds
-- Returns {count after adding, milliseconds left in the window}.
local current = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {current, ttl}
