#ifndef PYTORRENT_TESTS_ADMIN_TEST_SUPPORT_H_
#define PYTORRENT_TESTS_ADMIN_TEST_SUPPORT_H_

// Helpers for admin tests: long private folders for Unix sockets and a
// self-signed TLS certificate made with the OpenSSL API.

#include <string>

#include "absl/status/status.h"

namespace pytorrent::testing {

// A fresh private (0700) folder for sockets under $TEST_TMPDIR (or /tmp),
// deliberately at least 150 bytes long, far beyond sun_path's 108: sockets in
// it only work through admin/unix_socket_path.h. The caller removes it
// (RemoveTree).
std::string MakeSocketDir();
void RemoveTree(const std::string& path);

// Writes a self-signed P-256 certificate for "localhost" / 127.0.0.1 and its
// key, both PEM.
absl::Status WriteSelfSignedCert(const std::string& cert_path, const std::string& key_path);

std::string ReadFileOrDie(const std::string& path);

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_ADMIN_TEST_SUPPORT_H_
