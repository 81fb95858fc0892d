#include "tracker/redis_scripts.h"

#include <string>

namespace pytorrent::tracker::redis_scripts {

// Shared by every script: key names, removal, expiry, counts, file peers.
// Expiry per script is bounded (64 peers) so no script runs long; the
// tracker's once-a-second ExpireIdle drains any backlog.
constexpr std::string_view kPrelude = R"lua(
local P = KEYS[1]
-- What a listing shows of one holder of a file: chunks_have, username and
-- endpoint (neither holds a NUL byte), split again by the tracker.
local function record(have, name, endpoint)
  return have .. '\0' .. name .. '\0' .. endpoint
end
local function remove_holding(id, root)
  local pk = P .. 'p:' .. id
  if redis.call('HDEL', pk, root) == 0 then return end
  redis.call('DECR', P .. 'holdings')
  local s, l = P .. 's:' .. root, P .. 'l:' .. root
  redis.call('SREM', s, id)
  redis.call('SREM', l, id)
  redis.call('HDEL', P .. 'i:' .. root, id)
  if redis.call('SCARD', s) + redis.call('SCARD', l) == 0 then
    redis.call('DEL', P .. 'f:' .. root, s, l, P .. 'i:' .. root)
    redis.call('ZREM', P .. 'files', root)
  end
end
-- Rewrites the listed record of every file `id` holds (its username or
-- endpoint changed).
local function refresh_records(id, name, endpoint)
  local all = redis.call('HGETALL', P .. 'p:' .. id)
  for i = 1, #all, 2 do
    if #all[i] == 32 then
      redis.call('HSET', P .. 'i:' .. all[i], id, record(all[i + 1], name, endpoint))
    end
  end
end
local function remove_peer(id)
  local pk = P .. 'p:' .. id
  for _, field in ipairs(redis.call('HKEYS', pk)) do
    if #field == 32 then remove_holding(id, field) end
  end
  local name = redis.call('HGET', pk, 'u')
  if name and redis.call('HGET', P .. 'names', name) == id then
    redis.call('HDEL', P .. 'names', name)
  end
  redis.call('DEL', pk)
  redis.call('ZREM', P .. 'peers', id)
  redis.call('ZREM', P .. 'exp', id)
end
local function expire(now, limit)
  local ids = redis.call('ZRANGEBYSCORE', P .. 'exp', '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do remove_peer(id) end
  return #ids
end
local function reply(code, message)
  return {code, message, redis.call('ZCARD', P .. 'peers'), redis.call('ZCARD', P .. 'files'),
          tonumber(redis.call('GET', P .. 'holdings') or '0')}
end
local function file_peers(out, root, picks)
  local f = redis.call('HMGET', P .. 'f:' .. root, 'n', 's', 'c')
  if not f[1] then return end
  local s, l = P .. 's:' .. root, P .. 'l:' .. root
  local ns, nl = redis.call('SCARD', s), redis.call('SCARD', l)
  for _, v in ipairs({f[1], f[2], f[3], ns, nl}) do out[#out + 1] = v end
  if picks <= 0 then return end
  local ids = redis.call('SRANDMEMBER', s, picks)
  if #ids < picks and nl > 0 then
    for _, id in ipairs(redis.call('SRANDMEMBER', l, picks - #ids)) do ids[#ids + 1] = id end
  end
  if #ids == 0 then return end
  local records = redis.call('HMGET', P .. 'i:' .. root, unpack(ids))
  for i, id in ipairs(ids) do
    out[#out + 1] = id
    out[#out + 1] = records[i] or ''
  end
end
)lua";

const std::string kAnnounce = std::string(kPrelude) + R"lua(
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local max_peers, max_per_peer = tonumber(ARGV[3]), tonumber(ARGV[4])
local max_files, max_holdings = tonumber(ARGV[5]), tonumber(ARGV[6])
local id, key, name, endpoint = ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local replace = ARGV[11] == '1'
local n_removed = tonumber(ARGV[12])
local removed = {}
for i = 1, n_removed do removed[i] = ARGV[12 + i] end
local at = 13 + n_removed
local n_files = tonumber(ARGV[at])
local files = {}
for i = 1, n_files do
  local b = at + (i - 1) * 6
  files[i] = {root = ARGV[b + 1], name = ARGV[b + 2], size = ARGV[b + 3], chunk = ARGV[b + 4],
              have = ARGV[b + 5], count = ARGV[b + 6]}
end
local peers_for = ARGV[at + n_files * 6 + 1]
local picks = tonumber(ARGV[at + n_files * 6 + 2])
expire(now, 64)

-- The steady state (a peer refreshing what it already announced) is kept
-- to the fewest calls: a holding whose chunks_have and listed record did not
-- change is not written again.
local new_files = 0
for _, f in ipairs(files) do
  local known = redis.call('HMGET', P .. 'f:' .. f.root, 's', 'c')
  f.known = known[1] and true or false
  if not f.known then
    new_files = new_files + 1
  elseif known[1] ~= f.size or known[2] ~= f.chunk then
    return reply('INVALID_ARGUMENT',
                 'a file with this root hash is known with another size or chunk size')
  end
end

local pk = P .. 'p:' .. id
local st = redis.call('HMGET', pk, 'k', 'u', 'e')
local stored_key = st[1]
local owner = redis.call('HGET', P .. 'names', name)
local removed_set = {}
for _, r in ipairs(removed) do removed_set[r] = true end
local before, after = 0, 0
if stored_key then
  if stored_key ~= key then
    return reply('PERMISSION_DENIED', 'peer key does not match the registered one')
  end
  if owner and owner ~= id then return reply('ALREADY_EXISTS', 'username is taken by another peer') end
  before = redis.call('HLEN', pk) - 3
  after = replace and 0 or before
  if not replace then
    for _, r in ipairs(removed) do
      local re_added = false
      for _, f in ipairs(files) do if f.root == r then re_added = true end end
      if not re_added and redis.call('HEXISTS', pk, r) == 1 then after = after - 1 end
    end
  end
  for _, f in ipairs(files) do
    -- The chunks_have held so far (false: not held).
    if not replace then f.old = redis.call('HGET', pk, f.root) end
    if replace or not f.old then after = after + 1 end
  end
else
  if redis.call('ZCARD', P .. 'peers') >= max_peers then
    return reply('RESOURCE_EXHAUSTED', 'the tracker has reached its peer cap')
  end
  if owner then return reply('ALREADY_EXISTS', 'username is taken by another peer') end
  after = n_files
end
if after > max_per_peer then
  return reply('RESOURCE_EXHAUSTED',
               'a peer may offer at most ' .. max_per_peer .. ' files on this tracker')
end
if after > before then
  local holdings = tonumber(redis.call('GET', P .. 'holdings') or '0')
  if holdings + (after - before) > max_holdings then
    return reply('RESOURCE_EXHAUSTED',
                 'the tracker has reached its cap of ' .. max_holdings .. ' peer-file registrations')
  end
end
if new_files > 0 and redis.call('ZCARD', P .. 'files') + new_files > max_files then
  return reply('RESOURCE_EXHAUSTED',
               'the tracker has reached its cap of ' .. max_files .. ' distinct files')
end

local listed_changed = false
if not stored_key then
  redis.call('HSET', pk, 'k', key, 'u', name, 'e', endpoint)
  redis.call('ZADD', P .. 'peers', 0, id)
  redis.call('HSET', P .. 'names', name, id)
else
  if st[2] ~= name then
    redis.call('HDEL', P .. 'names', st[2])
    redis.call('HSET', P .. 'names', name, id)
  end
  if st[2] ~= name or st[3] ~= endpoint then
    redis.call('HSET', pk, 'u', name, 'e', endpoint)
    listed_changed = true
  end
end
redis.call('ZADD', P .. 'exp', now + ttl, id)
if replace then
  for _, field in ipairs(redis.call('HKEYS', pk)) do
    if #field == 32 then remove_holding(id, field) end
  end
end
for _, r in ipairs(removed) do remove_holding(id, r) end
if listed_changed then refresh_records(id, name, endpoint) end
-- Removals above may have dropped a file that was known at the start.
local structural = replace or #removed > 0
for _, f in ipairs(files) do
  local seeder = tonumber(f.have) >= tonumber(f.count)
  local s, l = P .. 's:' .. f.root, P .. 'l:' .. f.root
  if f.old and not replace and not removed_set[f.root] then
    -- Held already: write only what changed.
    if f.old ~= f.have then
      redis.call('HSET', pk, f.root, f.have)
      redis.call('HSET', P .. 'i:' .. f.root, id, record(f.have, name, endpoint))
      if (tonumber(f.old) >= tonumber(f.count)) ~= seeder then
        if seeder then redis.call('SMOVE', l, s, id) else redis.call('SMOVE', s, l, id) end
      end
    end
  else
    local fk = P .. 'f:' .. f.root
    if not f.known or (structural and redis.call('EXISTS', fk) == 0) then
      redis.call('HSET', fk, 'n', f.name, 's', f.size, 'c', f.chunk, 'k', f.count)
      redis.call('ZADD', P .. 'files', 0, f.root)
    end
    if redis.call('HSET', pk, f.root, f.have) == 1 then redis.call('INCR', P .. 'holdings') end
    redis.call('HSET', P .. 'i:' .. f.root, id, record(f.have, name, endpoint))
    redis.call('SADD', seeder and s or l, id)
  end
end
local out = reply('OK', '')
if peers_for ~= '' then file_peers(out, peers_for, picks) end
return out
)lua";

const std::string kRemove = std::string(kPrelude) + R"lua(
local now, id, key, check_key = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4] == '1'
expire(now, 64)
local stored_key = redis.call('HGET', P .. 'p:' .. id, 'k')
if not stored_key then return reply('NOT_FOUND', 'peer is not registered') end
if check_key and stored_key ~= key then
  return reply('PERMISSION_DENIED', 'peer key does not match the registered one')
end
remove_peer(id)
return reply('OK', '')
)lua";

const std::string kRename = std::string(kPrelude) + R"lua(
local now, id, key, name = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
expire(now, 64)
local pk = P .. 'p:' .. id
local stored_key = redis.call('HGET', pk, 'k')
if not stored_key then return reply('NOT_FOUND', 'peer is not registered') end
if stored_key ~= key then
  return reply('PERMISSION_DENIED', 'peer key does not match the registered one')
end
local owner = redis.call('HGET', P .. 'names', name)
if owner == id then return reply('OK', '') end
if owner then return reply('ALREADY_EXISTS', 'username is taken by another peer') end
local old = redis.call('HMGET', pk, 'u', 'e')
redis.call('HDEL', P .. 'names', old[1])
redis.call('HSET', P .. 'names', name, id)
redis.call('HSET', pk, 'u', name)
refresh_records(id, name, old[2] or '')
return reply('OK', '')
)lua";

const std::string kExpire = std::string(kPrelude) + R"lua(
local n = expire(tonumber(ARGV[1]), tonumber(ARGV[2]))
local out = reply('OK', '')
out[#out + 1] = n
return out
)lua";

const std::string kListPeers = std::string(kPrelude) + R"lua(
local now, cursor, want = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
expire(now, 64)
local start = cursor == '' and '-' or '(' .. cursor
local ids = redis.call('ZRANGEBYLEX', P .. 'peers', start, '+', 'LIMIT', 0, want + 1)
local out = reply('OK', '')
out[#out + 1] = #ids > want and 1 or 0
for i = 1, math.min(#ids, want) do
  local id = ids[i]
  local pk = P .. 'p:' .. id
  local p = redis.call('HMGET', pk, 'u', 'e')
  out[#out + 1] = id
  out[#out + 1] = p[1] or ''
  out[#out + 1] = p[2] or ''
  out[#out + 1] = redis.call('HLEN', pk) - 3
end
return out
)lua";

const std::string kSearchFiles = std::string(kPrelude) + R"lua(
local now, cursor, want, query = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4]
local scan_limit = tonumber(ARGV[5])
expire(now, 64)
local start = cursor == '' and '-' or '(' .. cursor
local roots = redis.call('ZRANGEBYLEX', P .. 'files', start, '+', 'LIMIT', 0, scan_limit)
local matches = {}
local last = ''
local matched = 0
for _, root in ipairs(roots) do
  last = root
  local f = redis.call('HMGET', P .. 'f:' .. root, 'n', 's', 'c')
  if f[1] and (query == '' or string.find(string.lower(f[1]), query, 1, true)) then
    for _, v in ipairs({root, f[1], f[2], f[3], redis.call('SCARD', P .. 's:' .. root),
                        redis.call('SCARD', P .. 'l:' .. root)}) do
      matches[#matches + 1] = v
    end
    matched = matched + 1
    if matched >= want then break end
  end
end
local out = reply('OK', '')
local at_end = #roots < scan_limit and last == (roots[#roots] or '')
out[#out + 1] = at_end and 1 or 0
out[#out + 1] = last
for _, v in ipairs(matches) do out[#out + 1] = v end
return out
)lua";

const std::string kFilePeers = std::string(kPrelude) + R"lua(
expire(tonumber(ARGV[1]), 64)
local out = reply('OK', '')
file_peers(out, ARGV[2], tonumber(ARGV[3]))
return out
)lua";

}  // namespace pytorrent::tracker::redis_scripts
