-- Hold the global GCRA bucket: no grant before now + ARGV[1] microseconds.
-- KEYS[1]: the global bucket; ARGV[2]: its tolerance in microseconds.
-- The TAT becomes now + d + tolerance, so the bucket reopens empty (one slot,
-- then the plain rate) rather than with a full burst; a TAT already further
-- ahead is kept, so penalties reported by several replicas do not add up.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
local stored = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if stored > tat then
  tat = stored
end
local ttl = math.ceil((tat - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', string.format('%d', ttl))
return 0
