/**
 * The Lua scripts of the Redis store: every operation that reads and then writes runs as one
 * script, which Redis executes without interleaving any other command, so no read-then-write
 * race exists between nodes. Times are the caller's epoch ms (ARGV), relative TTLs go to
 * PEXPIRE, so a node's clock skew shifts an expiry by the skew at most, never by more.
 *
 * A record is a hash: `v` (value JSON), `r` (revision), `e` (expiry, epoch ms), `c` (consumed,
 * epoch s) and `x:<field>` (the indexed values). Each index and the per-collection list are
 * sorted sets of ids scored by the record's expiry (`+inf` for none), so an entry dies with its
 * record: readers drop entries whose score has passed, and each set expires with its last member.
 * Scripts derive index keys from the record (prefixes in ARGV): Redis Cluster is not supported.
 */

/** Shared helpers, prepended to the scripts that need them. */
const HELPERS = `
local function live(key, now)
  local e = redis.call('HGET', key, 'e')
  if e then return tonumber(e) > now end
  return redis.call('EXISTS', key) == 1
end
local function fit_ttl(set, now)
  local top = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  if #top == 0 then return end
  if top[2] == 'inf' then redis.call('PERSIST', set)
  else redis.call('PEXPIRE', set, math.max(1, math.floor(tonumber(top[2]) - now) + 1000)) end
end
local function unindex(key, id, idx_prefix, all_key, fields)
  for _, f in ipairs(fields) do
    local old = redis.call('HGET', key, 'x:' .. f)
    if old then redis.call('ZREM', idx_prefix .. f .. ':' .. old, id) end
  end
  redis.call('ZREM', all_key, id)
end
`;

/**
 * put / insert / replace. KEYS: record, revision counter, list set.
 * ARGV: mode, now, id, value, ttlMs ('' none), ifRevision, idxPrefix, n, field1, value1, ...
 * Returns false when insert found a live record or replace a different revision; else {revision, expiry|''}.
 */
export const WRITE = `${HELPERS}
local key, rev_key, all_key = KEYS[1], KEYS[2], KEYS[3]
local mode, now, id, value, ttl, if_rev, idx_prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local n = tonumber(ARGV[8])
local is_live = live(key, now)
if mode == 'insert' and is_live then return false end
if mode == 'replace' and (not is_live or redis.call('HGET', key, 'r') ~= if_rev) then return false end
local fields, values = {}, {}
for i = 1, n do
  fields[i] = ARGV[7 + 2 * i]
  values[i] = ARGV[8 + 2 * i]
end
local expiry, consumed = nil, nil
if mode == 'replace' then
  expiry = redis.call('HGET', key, 'e')
  consumed = redis.call('HGET', key, 'c')
end
if ttl ~= '' then expiry = now + tonumber(ttl) end
unindex(key, id, idx_prefix, all_key, fields)
local rev = redis.call('INCR', rev_key)
redis.call('DEL', key)
local hash = {'v', value, 'r', rev}
if expiry then table.insert(hash, 'e'); table.insert(hash, expiry) end
if consumed then table.insert(hash, 'c'); table.insert(hash, consumed) end
for i = 1, n do
  if values[i] ~= '' then table.insert(hash, 'x:' .. fields[i]); table.insert(hash, values[i]) end
end
redis.call('HSET', key, unpack(hash))
local score = '+inf'
if expiry then
  redis.call('PEXPIRE', key, math.max(1, math.floor(tonumber(expiry) - now)))
  score = expiry
end
for i = 1, n do
  if values[i] ~= '' then
    local set = idx_prefix .. fields[i] .. ':' .. values[i]
    redis.call('ZADD', set, score, id)
    fit_ttl(set, now)
  end
end
redis.call('ZADD', all_key, score, id)
fit_ttl(all_key, now)
return {rev, expiry or ''}
`;

/** consume. KEYS: record, revision counter. ARGV: now, nowSeconds. Returns {'missing'} | {'already'|'consumed', hash before}. */
export const CONSUME = `${HELPERS}
local key, rev_key = KEYS[1], KEYS[2]
if not live(key, tonumber(ARGV[1])) then return {'missing'} end
local before = redis.call('HGETALL', key)
if redis.call('HEXISTS', key, 'c') == 1 then return {'already', before} end
redis.call('HSET', key, 'c', ARGV[2], 'r', redis.call('INCR', rev_key))
return {'consumed', before}
`;

/** delete. KEYS: record, list set. ARGV: now, id, idxPrefix, field... Returns 1 when a live record was deleted. */
export const DELETE = `${HELPERS}
local key, all_key = KEYS[1], KEYS[2]
local now, id, idx_prefix = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
local was_live = live(key, now)
unindex(key, id, idx_prefix, all_key, fields)
redis.call('DEL', key)
if was_live then return 1 end
return 0
`;

/**
 * findBy / list. KEYS: the index (or list) set. ARGV: now, recordPrefix, field ('' for list), value.
 * Drops dead entries; returns {id1, hash1, id2, hash2, ...} of live records that still match.
 */
export const SCAN = `${HELPERS}
local set = KEYS[1]
local now, rec_prefix, field, value = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
redis.call('ZREMRANGEBYSCORE', set, '-inf', now)
local out = {}
for _, id in ipairs(redis.call('ZRANGE', set, 0, -1)) do
  local key = rec_prefix .. id
  if live(key, now) and (field == '' or redis.call('HGET', key, 'x:' .. field) == value) then
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGETALL', key)
  elseif not live(key, now) then
    redis.call('ZREM', set, id)
  end
end
return out
`;

/** deleteBy. KEYS: the index set, list set. ARGV: now, recordPrefix, idxPrefix, field, value, field... Returns how many live records went. */
export const DELETE_BY = `${HELPERS}
local set, all_key = KEYS[1], KEYS[2]
local now, rec_prefix, idx_prefix, field, value = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
local count = 0
for _, id in ipairs(redis.call('ZRANGE', set, 0, -1)) do
  local key = rec_prefix .. id
  if redis.call('HGET', key, 'x:' .. field) == value then
    if live(key, now) then count = count + 1 end
    unindex(key, id, idx_prefix, all_key, fields)
    redis.call('DEL', key)
  else
    redis.call('ZREM', set, id)
  end
end
return count
`;

/** Counter hit. KEYS: counter. ARGV: windowMs|'', limit|'', blockMs|''. Returns {count, pttl}. */
export const HIT = `
local k = KEYS[1]
local n = redis.call('INCR', k)
if n == 1 and ARGV[1] ~= '' then redis.call('PEXPIRE', k, ARGV[1]) end
if ARGV[2] ~= '' and ARGV[3] ~= '' and n == tonumber(ARGV[2]) + 1 then redis.call('PEXPIRE', k, ARGV[3]) end
return {n, redis.call('PTTL', k)}
`;

/** Counter peek. KEYS: counter. Returns {count, pttl}. */
export const PEEK = `
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}
`;

const SLOT_HELPERS = `
local function fit(set, now)
  local top = redis.call('ZRANGE', set, -1, -1, 'WITHSCORES')
  if #top == 0 then return end
  redis.call('PEXPIRE', set, math.max(1, math.floor(tonumber(top[2]) - now)))
end
`;

/** Slot reserve. KEYS: set. ARGV: member, until, limit, now. Returns {reserved 0|1, active, nextFreeAt|''}. */
export const RESERVE = `${SLOT_HELPERS}
local k, member, untl, limit, now = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', k, '-inf', now)
local n = redis.call('ZCARD', k)
if redis.call('ZSCORE', k, member) or n < limit then
  redis.call('ZADD', k, untl, member)
  fit(k, now)
  return {1, redis.call('ZCARD', k), ''}
end
local first = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
return {0, n, first[2]}
`;

/** Slot setUntil. KEYS: set. ARGV: member, until, now. */
export const SET_UNTIL = `${SLOT_HELPERS}
local k, member, untl, now = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if not redis.call('ZSCORE', k, member) then return 0 end
if untl <= now then redis.call('ZREM', k, member) else redis.call('ZADD', k, 'XX', untl, member) end
fit(k, now)
return 1
`;

/** Lease renew. KEYS: lease. ARGV: token, ttlMs. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Lease release. KEYS: lease. ARGV: token. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Schedule. KEYS: queue set, payloads, tokens, attempts. ARGV: id, at, payload JSON|''. */
export const SCHEDULE = `
local q, p, t, a = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
redis.call('ZADD', q, ARGV[2], ARGV[1])
redis.call('HSET', p, ARGV[1], ARGV[3])
redis.call('HDEL', t, ARGV[1])
redis.call('HSET', a, ARGV[1], 0)
return 1
`;

/** Cancel. KEYS: as SCHEDULE. ARGV: id. */
export const CANCEL = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return removed
`;

/**
 * Claim. KEYS: as SCHEDULE. ARGV: now, limit, leaseMs, token1..tokenLimit.
 * Returns {{id, payload, attempts, dueAt, token}, ...}; each claimed item moves to now + lease.
 */
export const CLAIM = `
local q, p, t, a = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, limit, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
local ids = redis.call('ZRANGEBYSCORE', q, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #ids, 2 do
  local id, due = ids[i], ids[i + 1]
  local token = ARGV[3 + #out + 1]
  redis.call('HSET', t, id, token)
  local attempts = redis.call('HINCRBY', a, id, 1)
  redis.call('ZADD', q, now + lease, id)
  out[#out + 1] = {id, redis.call('HGET', p, id) or '', attempts, due, token}
end
return out
`;

/** Complete. KEYS: as SCHEDULE. ARGV: id, token. */
export const COMPLETE = `
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
`;

/** Retry (at = ARGV[3]) or extend (at = now + lease, computed by the caller). KEYS: queue set, tokens. ARGV: id, token, at, clearToken 1|0. */
export const MOVE = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if ARGV[4] == '1' then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 1
`;

/** Every script, by the command name it is defined under, with its number of keys. */
export const SCRIPTS = {
  nodWrite: { lua: WRITE, numberOfKeys: 3 },
  nodConsume: { lua: CONSUME, numberOfKeys: 2 },
  nodDelete: { lua: DELETE, numberOfKeys: 2 },
  nodScan: { lua: SCAN, numberOfKeys: 1 },
  nodDeleteBy: { lua: DELETE_BY, numberOfKeys: 2 },
  nodHit: { lua: HIT, numberOfKeys: 1 },
  nodPeek: { lua: PEEK, numberOfKeys: 1 },
  nodReserve: { lua: RESERVE, numberOfKeys: 1 },
  nodSetUntil: { lua: SET_UNTIL, numberOfKeys: 1 },
  nodRenew: { lua: RENEW, numberOfKeys: 1 },
  nodRelease: { lua: RELEASE, numberOfKeys: 1 },
  nodSchedule: { lua: SCHEDULE, numberOfKeys: 4 },
  nodCancel: { lua: CANCEL, numberOfKeys: 4 },
  nodClaim: { lua: CLAIM, numberOfKeys: 4 },
  nodComplete: { lua: COMPLETE, numberOfKeys: 4 },
  nodMove: { lua: MOVE, numberOfKeys: 2 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
