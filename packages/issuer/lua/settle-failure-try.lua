-- Settles a try reserved by reserve-failure-try.lua: gives back its place in
-- the window it was reserved in (if that window is still open) and, for a
-- failure, counts it in the open window.
--
-- KEYS[1] pair: the counter of one token id from one client address
-- KEYS[2] address: the counter of the client address
-- ARGV[1] pairWindow: the pair counter's window id the reservation returned
-- ARGV[2] addressWindow: the address counter's window id the reservation returned
-- ARGV[3] failed: '1' to count a failure, '0' not to
-- ARGV[4] windowSeconds: length of a window
-- ARGV[5] windowId: the id of a window this call opens
-- Returns 0.
for i = 1, 2 do
  if redis.call('HGET', KEYS[i], 'w') == ARGV[i] and (tonumber(redis.call('HGET', KEYS[i], 'p')) or 0) > 0 then
    redis.call('HINCRBY', KEYS[i], 'p', -1)
  end
  if ARGV[3] == '1' then
    if redis.call('HSETNX', KEYS[i], 'w', ARGV[5]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[4]) end
    redis.call('HINCRBY', KEYS[i], 'f', 1)
  end
end
return 0
