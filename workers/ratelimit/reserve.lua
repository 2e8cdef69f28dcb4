-- Reserve one slot in two GCRA buckets at once, or none.
-- KEYS[1]: the global bucket; KEYS[2]: the chat's bucket.
-- ARGV: global interval, global tolerance, chat interval, chat tolerance,
-- all in microseconds (fractions allowed).
-- Returns 0 when both slots are taken, else the microseconds until both
-- buckets would grant (nothing is written then).
--
-- Time is the Redis server's, so replicas with skewed clocks agree. Redis 7
-- replicates scripts by their effects, so calling TIME before writing is safe.
-- TATs are stored with %.17g: the default number format (%.14g) would round
-- a microsecond timestamp (16 digits).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local function check(key, interval, tolerance)
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then
    tat = now
  end
  local allowAt = tat - tolerance
  if allowAt > now then
    return tat, allowAt - now
  end
  return tat + interval, 0
end

local globalTat, globalWait = check(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
local chatTat, chatWait = check(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
local wait = math.max(globalWait, chatWait)
if wait > 0 then
  return math.ceil(wait)
end

-- The key lives until its TAT has passed; after that an absent key means
-- the same as the stored value.
local function store(key, tat)
  local ttl = math.ceil((tat - now) / 1000) + 1
  redis.call('SET', key, string.format('%.17g', tat), 'PX', string.format('%d', ttl))
end
store(KEYS[1], globalTat)
store(KEYS[2], chatTat)
return 0
