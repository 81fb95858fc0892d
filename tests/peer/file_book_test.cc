#include "peer/file_book.h"

#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

// A manifest of `chunks` chunks whose root is `id` repeated (the book never
// checks hashes: it books what it is given).
std::shared_ptr<const Manifest> MakeManifest(uint8_t id, const std::string& name,
                                             uint32_t chunks = 4) {
  auto m = std::make_shared<Manifest>();
  m->name = name;
  m->chunk_size_bytes = 16 * 1024;
  m->size_bytes = static_cast<uint64_t>(chunks) * m->chunk_size_bytes;
  m->chunk_hashes.resize(chunks);
  m->root.fill(id);
  m->file_sha256.fill(static_cast<uint8_t>(id + 1));
  return m;
}

std::string TempFile(const std::string& name) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << "bytes of " << name;
  return path;
}

std::shared_ptr<SharedFd> OpenFd(const std::string& path) {
  return std::make_shared<SharedFd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

TEST(FileBookTest, IdenticalSharedCopiesAreOneRootWithdrawnWithTheLastPath) {
  FileBook book;
  auto a = MakeManifest(1, "a.bin");
  EXPECT_TRUE(book.AddSharedPath("/shared/a.bin", a));
  EXPECT_FALSE(book.AddSharedPath("/shared/copy-of-a.bin", MakeManifest(1, "copy-of-a.bin")));
  EXPECT_EQ(book.size(), 1u);
  ASSERT_NE(book.Find(a->root), nullptr);
  EXPECT_EQ(book.Find(a->root)->has_chunk, nullptr);  // a whole file

  book.RemoveSharedPath("/shared/a.bin");
  ASSERT_NE(book.Find(a->root), nullptr);
  EXPECT_EQ(book.Find(a->root)->path, "/shared/copy-of-a.bin");
  EXPECT_TRUE(book.TakeWithdrawn().empty());

  book.RemoveSharedPath("/shared/copy-of-a.bin");
  EXPECT_EQ(book.Find(a->root), nullptr);
  EXPECT_FALSE(book.Holds(a->root));
  EXPECT_EQ(book.TakeWithdrawn(), std::vector<Sha256Digest>{a->root});
  EXPECT_TRUE(book.TakeWithdrawn().empty());  // reported once
}

TEST(FileBookTest, RewrittenFileMovesItsPathToTheNewRoot) {
  FileBook book;
  auto v1 = MakeManifest(1, "doc.txt");
  auto v2 = MakeManifest(2, "doc.txt");
  book.AddSharedPath("/shared/doc.txt", v1);
  EXPECT_TRUE(book.AddSharedPath("/shared/doc.txt", v2));
  EXPECT_FALSE(book.Holds(v1->root));
  EXPECT_TRUE(book.Holds(v2->root));
  EXPECT_EQ(book.TakeWithdrawn(), std::vector<Sha256Digest>{v1->root});
  // The path is booked once, under the new root.
  book.RemoveSharedPath("/shared/doc.txt");
  EXPECT_EQ(book.size(), 0u);
}

TEST(FileBookTest, DownloadServesVerifiedChunksThenItsFinishedFile) {
  FileBook book;
  auto m = MakeManifest(3, "movie.mkv", 4);
  const std::string part = TempFile("movie.part");
  book.AddPartial(m, OpenFd(part), part, {true, false, false, false});
  const ServedFile* served = book.Find(m->root);
  ASSERT_NE(served, nullptr);
  ASSERT_NE(served->has_chunk, nullptr);
  EXPECT_TRUE(served->has_chunk(0));
  EXPECT_FALSE(served->has_chunk(1));
  EXPECT_FALSE(served->has_chunk(99));  // out of range: not held

  const uint64_t chunks_before = book.chunks_version();
  EXPECT_TRUE(book.MarkChunk(m->root, 1));
  EXPECT_FALSE(book.MarkChunk(m->root, 1));                     // already held
  EXPECT_FALSE(book.MarkChunk(m->root, 4));                     // no such chunk
  EXPECT_FALSE(book.MarkChunk(MakeManifest(9, "x")->root, 0));  // no such download
  EXPECT_TRUE(book.Find(m->root)->has_chunk(1));
  EXPECT_GT(book.chunks_version(), chunks_before);
  std::vector<HeldFile> rows = book.View();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].complete);
  EXPECT_EQ(rows[0].chunks_have, 2u);
  EXPECT_EQ(book.partial_files(), 1u);

  const uint64_t files_before = book.files_version();
  book.EndDownload(m->root, "/downloads/movie.mkv");
  served = book.Find(m->root);
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(served->has_chunk, nullptr);
  EXPECT_EQ(served->fd, nullptr);  // opened on demand
  EXPECT_EQ(served->path, "/downloads/movie.mkv");
  EXPECT_GT(book.files_version(), files_before);
  rows = book.View();
  EXPECT_TRUE(rows[0].complete);
  EXPECT_EQ(rows[0].chunks_have, 4u);
  EXPECT_EQ(book.partial_files(), 0u);
  EXPECT_TRUE(book.TakeWithdrawn().empty());
}

TEST(FileBookTest, FailedDownloadIsWithdrawnUnlessAnotherCopyIsHeld) {
  FileBook book;
  auto m = MakeManifest(4, "f.bin");
  const std::string part = TempFile("f.part");
  book.AddPartial(m, OpenFd(part), part, {});
  book.EndDownload(m->root, "");
  EXPECT_FALSE(book.Holds(m->root));
  EXPECT_EQ(book.TakeWithdrawn(), std::vector<Sha256Digest>{m->root});

  // A shared copy appeared while downloading: it is served whole (before
  // the partial file), and stays when the download fails.
  book.AddPartial(m, OpenFd(part), part, {});
  book.AddSharedPath("/shared/f.bin", m);
  EXPECT_EQ(book.Find(m->root)->has_chunk, nullptr);
  book.EndDownload(m->root, "");
  ASSERT_NE(book.Find(m->root), nullptr);
  EXPECT_EQ(book.Find(m->root)->path, "/shared/f.bin");
  EXPECT_TRUE(book.TakeWithdrawn().empty());
}

TEST(FileBookTest, SeedingSwitchHidesAFileFromTheSeederButNotFromTheBook) {
  FileBook book;
  auto m = MakeManifest(5, "s.bin");
  EXPECT_TRUE(absl::IsNotFound(book.SetSeeding(m->root, false)));
  book.AddSharedPath("/shared/s.bin", m);
  const uint64_t before = book.files_version();
  ASSERT_TRUE(book.SetSeeding(m->root, false).ok());
  EXPECT_GT(book.files_version(), before);
  EXPECT_EQ(book.Find(m->root), nullptr);
  EXPECT_EQ(book.TakeWithdrawn(), std::vector<Sha256Digest>{m->root});
  ASSERT_EQ(book.View().size(), 1u);
  EXPECT_FALSE(book.View()[0].seeding);
  EXPECT_EQ(book.seeding_off().count(m->root), 1u);

  // The switch outlives the file: shared again, it is still off.
  book.RemoveSharedPath("/shared/s.bin");
  EXPECT_TRUE(book.TakeWithdrawn().empty());  // not served: nothing to forget
  book.AddSharedPath("/shared/s.bin", m);
  EXPECT_EQ(book.Find(m->root), nullptr);

  ASSERT_TRUE(book.SetSeeding(m->root, true).ok());
  EXPECT_NE(book.Find(m->root), nullptr);
  EXPECT_TRUE(book.seeding_off().empty());
}

TEST(FileBookTest, SwitchesLoadedAtStartApplyToFilesBookedLater) {
  FileBook book;
  auto m = MakeManifest(6, "later.bin");
  book.SetSeedingOff({m->root});
  book.AddSharedPath("/shared/later.bin", m);
  EXPECT_EQ(book.Find(m->root), nullptr);
  EXPECT_FALSE(book.View().at(0).seeding);
}

TEST(FileBookTest, RescanOfAnUnchangedFileDoesNotCountAsAChange) {
  FileBook book;
  book.AddSharedPath("/shared/same.bin", MakeManifest(7, "same.bin"));
  const uint64_t before = book.files_version();
  // The scanner reports a touched file again (same content, new manifest).
  EXPECT_FALSE(book.AddSharedPath("/shared/same.bin", MakeManifest(7, "same.bin")));
  EXPECT_EQ(book.files_version(), before);
  book.RemoveSharedPath("/shared/not-booked.bin");  // ignored
  EXPECT_EQ(book.files_version(), before);
}

TEST(FileBookTest, ViewIsInRootOrder) {
  FileBook book;
  book.AddSharedPath("/shared/c", MakeManifest(30, "c"));
  book.AddSharedPath("/shared/a", MakeManifest(10, "a"));
  book.AddSharedPath("/shared/b", MakeManifest(20, "b"));
  std::vector<HeldFile> rows = book.View();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].manifest->name, "a");
  EXPECT_EQ(rows[1].manifest->name, "b");
  EXPECT_EQ(rows[2].manifest->name, "c");
}

TEST(FileBookTest, OpensWholeFilesOnDemandAndKeepsABoundedNumberOpen) {
  FileBook book;
  std::vector<std::shared_ptr<const Manifest>> manifests;
  for (size_t i = 0; i < FileBook::kMaxOpenFiles + 6; ++i) {
    auto m = MakeManifest(static_cast<uint8_t>(i + 1), "f" + std::to_string(i));
    book.AddSharedPath(TempFile("open-" + std::to_string(i)), m);
    manifests.push_back(m);
  }
  for (const auto& m : manifests) {
    const ServedFile* served = book.Find(m->root);
    ASSERT_NE(served, nullptr);
    std::shared_ptr<SharedFd> fd = book.OpenForRead(*served);
    ASSERT_NE(fd, nullptr);
    EXPECT_GE(fd->get(), 0);
    EXPECT_LE(book.open_files(), FileBook::kMaxOpenFiles);
  }
  EXPECT_EQ(book.open_files(), FileBook::kMaxOpenFiles);
  // Reading the most recent one again reuses its descriptor.
  const ServedFile* last = book.Find(manifests.back()->root);
  EXPECT_EQ(book.OpenForRead(*last), book.OpenForRead(*last));

  // A file that cannot be opened gives null, not a crash.
  auto gone = MakeManifest(250, "gone");
  book.AddSharedPath(std::string(std::getenv("TEST_TMPDIR")) + "/does-not-exist", gone);
  EXPECT_EQ(book.OpenForRead(*book.Find(gone->root)), nullptr);
}

}  // namespace
}  // namespace pytorrent::peer
