#include "peer/storage/partial_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/names.h"
#include "peer/storage/disk_space.h"
#include "peer/storage/errno_status.h"

namespace pytorrent::peer {
PartialFile::~PartialFile() { ::close(fd_); }

absl::StatusOr<std::unique_ptr<PartialFile>> PartialFile::Open(const std::string& path,
                                                               uint64_t size_bytes) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) == size_bytes) {
      return std::unique_ptr<PartialFile>(new PartialFile(fd, path, size_bytes, true));
    }
    ::close(fd);
  }
  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("create ", path));
  auto fail = [&](absl::Status status) {
    ::close(fd);
    ::unlink(path.c_str());
    return status;
  };
  if (size_bytes > 0) {
    // Checked after O_TRUNC freed any older file at this path.
    const std::string dir = std::filesystem::path(path).parent_path().string();
    absl::StatusOr<uint64_t> free_bytes = FreeBytesAt(dir.empty() ? "." : dir);
    if (free_bytes.ok()) {
      if (absl::Status s = CheckFreeSpace(size_bytes, *free_bytes, dir); !s.ok()) return fail(s);
    }
    // Real blocks up front, so a full disk fails here and not halfway. Only
    // a file system that cannot preallocate at all gets a sparse file.
    const int error = ::posix_fallocate(fd, 0, static_cast<off_t>(size_bytes));
    if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
      // The file system may show enough free space and still refuse (a
      // quota, the process's file size limit): then say what refused.
      absl::Status space = CheckFreeSpace(size_bytes, FreeBytesAt(dir).value_or(0), dir);
      return fail(space.ok() ? ErrnoStatus(error, absl::StrCat("preallocate ", size_bytes,
                                                               " bytes for ", path))
                             : space);
    }
    if (error == EOPNOTSUPP || error == EINVAL || error == ENOSYS) {
      if (::ftruncate(fd, static_cast<off_t>(size_bytes)) != 0) {
        return fail(ErrnoStatus(errno, absl::StrCat("size ", path)));
      }
    } else if (error != 0) {
      return fail(ErrnoStatus(error, absl::StrCat("preallocate ", path)));
    }
  }
  return std::unique_ptr<PartialFile>(new PartialFile(fd, path, size_bytes, false));
}

absl::Status PartialFile::Write(uint64_t offset, absl::Span<const uint8_t> bytes) {
  if (offset > size_bytes_ || bytes.size() > size_bytes_ - offset) {
    return absl::OutOfRangeError("write past the end of the partial file");
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("write ", path_));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status PartialFile::Read(uint64_t offset, absl::Span<uint8_t> out) const {
  if (offset > size_bytes_ || out.size() > size_bytes_ - offset) {
    return absl::OutOfRangeError("read past the end of the partial file");
  }
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, absl::StrCat("read ", path_));
    if (n == 0) return absl::DataLossError(path_ + " is shorter than expected");
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status PartialFile::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, absl::StrCat("fdatasync ", path_));
  return absl::OkStatus();
}

absl::StatusOr<Sha256Digest> PartialFile::HashAll() const {
  constexpr size_t kBlock = 1 << 20;
  std::vector<uint8_t> buffer(kBlock);
  Sha256 hasher;
  for (uint64_t offset = 0; offset < size_bytes_;) {
    size_t length = static_cast<size_t>(std::min<uint64_t>(kBlock, size_bytes_ - offset));
    if (absl::Status s = Read(offset, absl::MakeSpan(buffer.data(), length)); !s.ok()) return s;
    hasher.Update(absl::MakeConstSpan(buffer.data(), length));
    offset += length;
  }
  return hasher.Finish();
}

absl::Status PartialFile::Publish(const std::string& dest_dir, const std::string& name,
                                  bool overwrite) {
  if (absl::Status s = ValidateFileName(name); !s.ok()) return s;
  if (::fsync(fd_) != 0) return ErrnoStatus(errno, absl::StrCat("fsync ", path_));
  std::string dest = dest_dir + "/" + name;
  int rc = overwrite
               ? ::rename(path_.c_str(), dest.c_str())
               : ::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE);
  if (rc != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(dest + " exists; download again with overwrite to replace");
    }
    return ErrnoStatus(errno, absl::StrCat("rename to ", dest));
  }
  int dir_fd = ::open(dest_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  path_ = dest;
  return absl::OkStatus();
}

}  // namespace pytorrent::peer
