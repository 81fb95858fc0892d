#ifndef PYTORRENT_TRACKER_REDIS_SCRIPTS_H_
#define PYTORRENT_TRACKER_REDIS_SCRIPTS_H_

// The Lua scripts `RedisSwarmStore` runs in Redis. Each is atomic (Redis
// runs one script at a time), so races between tracker instances resolve on
// the Redis side: two instances registering one username at once, exactly
// one wins.
//
// Keys: KEYS[1] is the store's prefix, "{tag}:", and every key a script
// touches starts with it, so with Redis Cluster they all live in the slot
// of "tag" and each script stays atomic there:
//   {tag}:peers       sorted set, score 0, member peer id (8 bytes, big
//                     endian): lexicographic paging and the peer count
//   {tag}:exp         sorted set, peer id -> expiry (ms since the epoch,
//                     last announce + 2x interval): expiry needs no sweeper,
//                     every script first drops what is due
//   {tag}:p:<id>      hash: k (peer key, 8 bytes), u (username), e (chunk
//                     endpoint), and <root> (32 bytes) -> chunks_have for
//                     each file the peer holds
//   {tag}:names       hash, username -> peer id
//   {tag}:files       sorted set, score 0, member root hash: paging, count
//   {tag}:f:<root>    hash: n (name), s (size), c (chunk size), k (chunks)
//   {tag}:s:<root>    set of seeder ids; {tag}:l:<root> set of leecher ids
//   {tag}:i:<root>    hash, holder id -> its listed record, chunks_have NUL
//                     username NUL endpoint: one HMGET lists every pick
//                     (rewritten for all the peer's files when its name or
//                     endpoint changes)
//   {tag}:holdings    (peer, file) pairs registered
//
// Every script returns {code, message, peers, files, holdings, ...}: code
// "OK" or an absl status code name; the counts after the script.

#include <string>

namespace pytorrent::tracker::redis_scripts {

// ARGV: now_ms ttl_ms max_peers max_files_per_peer max_files max_holdings
//   peer_id peer_key username endpoint replace(0|1) n_removed roots...
//   n_files [root name size chunk_size chunks_have chunk_count]...
//   peers_for_root (may be empty) picks
// Payload when peers_for_root is known: file peers (see FilePeers).
extern const std::string kAnnounce;
// ARGV: now_ms peer_id peer_key check_key(0|1). Leave, or Evict without the
// key check.
extern const std::string kRemove;
// ARGV: now_ms peer_id peer_key new_username
extern const std::string kRename;
// ARGV: now_ms limit. Payload: how many peers expired.
extern const std::string kExpire;
// ARGV: now_ms cursor want. Payload: more(0|1), then per peer: id username
// endpoint file_count.
extern const std::string kListPeers;
// ARGV: now_ms cursor want lower_query scan_limit. Payload: at_end(0|1)
// last_scanned, then per match: root name size chunk_size seeders leechers.
extern const std::string kSearchFiles;
// ARGV: now_ms root picks. Payload (absent when the file is unknown): name
// size chunk_size seeders leechers, then per pick: id record (see
// {tag}:i:<root>; seeders first, random).
extern const std::string kFilePeers;

}  // namespace pytorrent::tracker::redis_scripts

#endif  // PYTORRENT_TRACKER_REDIS_SCRIPTS_H_
