#include "tests/peer/stable_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

namespace pytorrent::peer {

std::string WriteStableFile(const std::string& dir, const std::string& name, size_t size,
                            int seed) {
  std::filesystem::create_directories(dir);
  std::mt19937 rng(seed);
  std::string data(size, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  // The temp file sits outside `dir`, so a scan never sees it half written.
  const std::string temp = dir + "/../." + name + ".tmp";
  std::ofstream(temp, std::ios::binary) << data;
  // The nanoseconds depend on the seed too: a rewrite with another seed must
  // look changed even when the clock's second ticked by exactly `seed`'s
  // difference in between (same size, same whole-second mtime went unseen).
  struct timespec t = {::time(nullptr) - 60 - seed, (seed * 7919L) % 1'000'000'000L};
  struct timespec times[2] = {t, t};
  ::utimensat(AT_FDCWD, temp.c_str(), times, 0);
  std::filesystem::rename(temp, dir + "/" + name);
  return data;
}

}  // namespace pytorrent::peer
