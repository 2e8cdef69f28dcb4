-- Take one slot in two GCRA buckets at once (the global one and the chat's), now
-- or booked up to ARGV[5] microseconds ahead, or none.
-- KEYS[1]: the global bucket; KEYS[2]: the chat's bucket; KEYS[3]: the global
-- slowdown factor after a 429 (absent: 1).
-- ARGV: global interval, global tolerance, chat interval, chat tolerance,
-- lookahead; microseconds, fractions allowed.
-- Returns {1, wait}: the slot is the caller's, to use in wait microseconds; or
-- {0, wait}: refused, ask again in wait microseconds (nothing is written then).
--
-- Booking ahead is how priorities work: a payment notification may book a slot a
-- few seconds ahead, a broadcast only one almost free, so broadcasts never queue
-- up in front of it.
--
-- Time is the Redis server's, so replicas with skewed clocks agree. TATs are
-- stored with %.17g: the default number format (%.14g) would round a
-- microsecond timestamp (16 digits).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slow = tonumber(redis.call('GET', KEYS[3]) or '1') or 1

local function tatOf(key)
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then
    tat = now
  end
  return tat
end

local gInterval, gTolerance = tonumber(ARGV[1]) * slow, tonumber(ARGV[2]) * slow
local cInterval, cTolerance = tonumber(ARGV[3]), tonumber(ARGV[4])
local gTat, cTat = tatOf(KEYS[1]), tatOf(KEYS[2])
-- Only the global bucket is booked ahead. A chat that is not free now refuses:
-- booking its future slot would drag the global bucket there too, and leave
-- every other chat's capacity until then unused.
local cWait = cTat - cTolerance - now
if cWait > 0 then
  return {0, math.ceil(cWait)}
end
local wait = math.max(gTat - gTolerance - now, 0)
local ahead = tonumber(ARGV[5])
if wait > ahead then
  -- Ask again when the slot comes within the caller's reach.
  return {0, math.ceil(wait - ahead)}
end

-- The message goes at now + wait: each bucket's next TAT counts from then.
local at = now + wait
local function store(key, tat, interval)
  tat = math.max(tat, at) + interval
  local ttl = math.ceil((tat - now) / 1000) + 1
  redis.call('SET', key, string.format('%.17g', tat), 'PX', string.format('%d', ttl))
end
store(KEYS[1], gTat, gInterval)
store(KEYS[2], cTat, cInterval)
return {1, math.ceil(wait)}
