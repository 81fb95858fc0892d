#ifndef PYTORRENT_TRACKER_TRANSACTION_ID_RECOVERY_H_
#define PYTORRENT_TRACKER_TRANSACTION_ID_RECOVERY_H_

// `RecoverTransactionId` reads `TrackerRequest.transaction_id` from a
// datagram that protobuf refused to parse, so the MALFORMED reply still
// echoes it and a client matching replies by id fails fast instead of
// retrying until its timeout.
//
// The rule (stated in proto/tracker.proto): the id is recovered when the
// datagram's top-level framing is intact, however broken a field's contents
// are (invalid UTF-8 in a string, a sub-message that does not parse). Intact
// framing means every top-level field has a key with field number >= 1 and
// wire type 0 (varint of at most 10 bytes), 1 (8 bytes), 2 (length, then
// that many bytes) or 5 (4 bytes), and every value ends inside the datagram.
// The id is the last field 2 of wire type 5 (protobuf's "last one wins");
// 0 when the framing is broken or no such field is present.
//
// Example:
//   uint32_t txid = RecoverTransactionId(datagram);  // 0: not recoverable
//
// Pure and allocation-free; reads at most the datagram's bytes.

#include <cstdint>

#include "absl/types/span.h"

namespace pytorrent::tracker {

uint32_t RecoverTransactionId(absl::Span<const uint8_t> datagram);

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_TRANSACTION_ID_RECOVERY_H_
