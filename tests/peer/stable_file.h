#ifndef PYTORRENT_TESTS_PEER_STABLE_FILE_H_
#define PYTORRENT_TESTS_PEER_STABLE_FILE_H_

#include <cstddef>
#include <string>

namespace pytorrent::peer {

// Writes `size` pseudo-random bytes (from `seed`) to `dir`/`name`, creating
// `dir`: first to a temp file beside `dir`, then renamed into place with a
// modification time 60 + `seed` seconds in the past (nanoseconds from `seed`), so a scan
// sees the file whole and already stable (and rewrites with another seed as
// changed). Returns the bytes written.
std::string WriteStableFile(const std::string& dir, const std::string& name, size_t size, int seed);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_TESTS_PEER_STABLE_FILE_H_
