-- After a 429 in a chat: hold the chat's bucket for ARGV[1] microseconds, and slow
-- the global rate by ARGV[3] for ARGV[4] milliseconds.
-- KEYS[1]: the chat's bucket; KEYS[2]: the global slowdown factor.
-- ARGV[2]: the chat's tolerance in microseconds: the chat reopens empty (one
-- message, then its plain rate), not with a full burst. A TAT already further
-- ahead is kept, so several workers reporting one 429 do not add up.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
local stored = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if stored > tat then
  tat = stored
end
local ttl = math.ceil((tat - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', string.format('%d', ttl))
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return 0
