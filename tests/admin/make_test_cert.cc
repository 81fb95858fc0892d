// Writes a self-signed certificate for localhost/127.0.0.1 and its key:
//   make_test_cert CERT.pem KEY.pem
#include <iostream>

#include "tests/admin/test_support.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_test_cert CERT.pem KEY.pem\n";
    return 2;
  }
  absl::Status s = pytorrent::testing::WriteSelfSignedCert(argv[1], argv[2]);
  if (!s.ok()) {
    std::cerr << "make_test_cert: " << s << "\n";
    return 1;
  }
  return 0;
}
