#!/usr/bin/python3
"""Writes tests/conformance/vectors.txt (format: FORMAT.md).

Written from proto/ and the READMEs alone (protobuf messages, hashlib,
hmac): the C++ runner then checks every vector against the real code and
the Python runner against the real processes, so a vector that disagrees
with either fails CI. Run from the repository root after changing a vector:
  PYTHONPATH=bazel-bin /usr/bin/python3 tests/conformance/make_vectors.py
"""
import hashlib
import hmac
import struct
import sys

from google.protobuf import text_format

from proto import tracker_pb2
from proto import wire_pb2

from kit import BLOCK, address_bytes, blocks, content, merkle

MAGIC = 0x41727101980
OUT = []


def chunk_digests(data, chunk):
    return [merkle(blocks(data[i:i + chunk])) for i in range(0, len(data), chunk)]


def one_line(message):
    return text_format.MessageToString(message, as_one_line=True, as_utf8=False)


def block(header, lines):
    OUT.append("[%s]" % header)
    OUT.extend("%s: %s" % kv for kv in lines)
    OUT.append("")


def message(name, m, meaning):
    block("message " + name, [("type", m.DESCRIPTOR.full_name),
                               ("hex", m.SerializeToString().hex()),
                               ("text", one_line(m)), ("meaning", meaning)])


# --- tracker datagrams and replies -----------------------------------------
ROOT_A = bytes(range(32))


def req(**kw):
    r = tracker_pb2.TrackerRequest(**kw)
    return r


def tracker_messages():
    r = req(transaction_id=7)
    r.connect.protocol_magic = MAGIC
    r.connect.padding = bytes(16)
    message("tracker/connect_request", r,
            "connect: magic 0x41727101980, 16 zero bytes of padding, transaction 7")
    r = req(connection_id=0x1122334455667788, transaction_id=8)
    a = r.announce
    a.peer_id, a.peer_key, a.username = 0x0102030405060708, 0x1111, "alice"
    a.chunk_endpoint = "tcp://192.0.2.7:6881"
    f = a.files.add(name="song.mp3", size_bytes=5000000, chunk_size_bytes=262144,
                    root_hash=ROOT_A, chunks_have=20)
    a.removed_root_hashes.append(bytes(32))
    a.peers_for_root_hash = ROOT_A
    a.max_peers = 10
    message("tracker/announce_request", r,
            "announce of peer 0x0102030405060708 'alice' offering one complete 20-chunk file, "
            "dropping another, asking for up to 10 peers of the file")
    r = req(connection_id=0x1122334455667788, transaction_id=9)
    r.leave.peer_id, r.leave.peer_key = 0x0102030405060708, 0x1111
    message("tracker/leave_request", r, "leave: peer id and its secret key")
    r = req(connection_id=0x1122334455667788, transaction_id=10)
    r.list_peers.page_token = b"pv2\x00" + struct.pack("<Q", 5)
    r.list_peers.page_size = 20
    message("tracker/list_peers_request", r,
            "list_peers: second page (token as the tracker issued it: opaque), 20 per page")
    r = req(connection_id=0x1122334455667788, transaction_id=11)
    r.search_files.query = "MP3"
    r.search_files.page_size = 5
    message("tracker/search_files_request", r, "search_files: names containing 'mp3', any case")
    r = req(connection_id=0x1122334455667788, transaction_id=12)
    r.get_file_peers.root_hash = ROOT_A
    r.get_file_peers.max_peers = 30
    r.get_file_peers.exclude_peer_id = 0x0102030405060708
    message("tracker/get_file_peers_request", r, "get_file_peers: who has ROOT_A, not me")
    r = req(connection_id=0x1122334455667788, transaction_id=13)
    r.rename.peer_id, r.rename.peer_key, r.rename.new_username = 0x0102030405060708, 0x1111, "bob"
    message("tracker/rename_request", r, "rename to 'bob'")
    r = req(connection_id=0x1122334455667788, transaction_id=14)
    r.get_stats.SetInParent()
    message("tracker/get_stats_request", r, "get_stats: an empty sub-message selects the kind")

    s = tracker_pb2.TrackerResponse(transaction_id=7)
    s.connect.connection_id, s.connect.lifetime_seconds = 0x1122334455667788, 120
    message("tracker/connect_reply", s, "connect reply: the id to send from now on, 120 s")
    s = tracker_pb2.TrackerResponse(transaction_id=8)
    s.announce.interval_seconds, s.announce.peer_count = 60, 2
    s.announce.peers.add(peer_id=9, username="carol", chunk_endpoint="tcp://192.0.2.9:6881",
                         chunks_have=20)
    s.announce.file.CopyFrom(tracker_pb2.FileSummary(name="song.mp3", size_bytes=5000000,
                                                     chunk_size_bytes=262144, root_hash=ROOT_A,
                                                     seeders=2, leechers=0))
    message("tracker/announce_reply", s, "announce reply with the file's other holder")
    s = tracker_pb2.TrackerResponse(transaction_id=9)
    s.leave.SetInParent()
    message("tracker/leave_reply", s, "leave reply: empty body")
    s = tracker_pb2.TrackerResponse(transaction_id=10)
    s.list_peers.peers.add(peer_id=9, username="carol", chunk_endpoint="tcp://192.0.2.9:6881",
                           file_count=1)
    s.list_peers.next_page_token = b"pv2\x00" + struct.pack("<Q", 9)
    s.list_peers.total_peers = 2
    message("tracker/list_peers_reply", s, "one page of peers; a token for the next")
    s = tracker_pb2.TrackerResponse(transaction_id=11)
    s.search_files.files.add(name="song.mp3", size_bytes=5000000, chunk_size_bytes=262144,
                             root_hash=ROOT_A, seeders=2)
    message("tracker/search_files_reply", s, "the last page of a search (no token)")
    s = tracker_pb2.TrackerResponse(transaction_id=12)
    s.get_file_peers.file.CopyFrom(tracker_pb2.FileSummary(name="song.mp3", size_bytes=5000000,
                                                           chunk_size_bytes=262144,
                                                           root_hash=ROOT_A, seeders=1))
    s.get_file_peers.peers.add(peer_id=9, username="carol", chunk_endpoint="tcp://192.0.2.9:6881",
                               chunks_have=20)
    message("tracker/get_file_peers_reply", s, "the file and one holder")
    s = tracker_pb2.TrackerResponse(transaction_id=13)
    s.rename.SetInParent()
    message("tracker/rename_reply", s, "rename reply: empty body")
    s = tracker_pb2.TrackerResponse(transaction_id=14)
    g = s.get_stats
    g.peers, g.files, g.announces, g.requests, g.errors, g.uptime_seconds = 2, 1, 40, 90, 3, 3600
    message("tracker/get_stats_reply", s, "tracker-wide counters")
    s = tracker_pb2.TrackerResponse(transaction_id=15)
    s.error.code = tracker_pb2.TRACKER_ERROR_CODE_BAD_CONNECTION_ID
    s.error.message = "connect again"
    message("tracker/error_reply", s, "a typed error; message is for people")


def wire_messages():
    digests = chunk_digests(content(40000), BLOCK)
    root = merkle(digests)
    m = wire_pb2.PeerMessage()
    m.hello.protocol_version = wire_pb2.PROTOCOL_VERSION_1
    m.hello.peer_id = 0x0102030405060708
    message("wire/hello", m, "Hello, protocol version 1")
    m = wire_pb2.PeerMessage()
    m.manifest_request.root_hash = root
    message("wire/manifest_request", m, "ManifestRequest for the 40000-byte pattern file")
    m = wire_pb2.PeerMessage()
    mr = m.manifest
    mr.root_hash, mr.name, mr.size_bytes, mr.chunk_size_bytes = root, "pattern.bin", 40000, BLOCK
    mr.chunk_hashes = b"".join(digests)
    mr.file_sha256 = hashlib.sha256(content(40000)).digest()
    message("wire/manifest", m, "its manifest: 3 chunks of 16 KiB (the last 7232 bytes)")
    m = wire_pb2.PeerMessage()
    m.bitfield.root_hash, m.bitfield.chunk_count, m.bitfield.bits = root, 3, b"\xa0"
    message("wire/bitfield", m, "holds chunks 0 and 2 of 3: bits 101, MSB first, padded")
    m = wire_pb2.PeerMessage()
    m.have.root_hash, m.have.chunk_index = root, 1
    message("wire/have", m, "now holds chunk 1")
    m = wire_pb2.PeerMessage()
    m.chunk_request.root_hash, m.chunk_request.chunk_index = root, 2
    message("wire/chunk_request", m, "asks for chunk 2")
    m = wire_pb2.PeerMessage()
    m.chunk.root_hash, m.chunk.chunk_index, m.chunk.size_bytes = root, 2, 40000 - 2 * BLOCK
    message("wire/chunk_data", m, "header of chunk 2; the next frame holds its 7232 bytes")
    m = wire_pb2.PeerMessage()
    r = m.reject
    r.reason, r.message, r.root_hash, r.chunk_index = (wire_pb2.REJECT_REASON_NO_CREDIT,
                                                       "too many requests", root, 2)
    message("wire/reject", m, "refuses the request for chunk 2: no credit")
    m = wire_pb2.PeerMessage()
    m.cancel.root_hash, m.cancel.chunk_index = root, 2
    message("wire/cancel", m, "withdraws the request for chunk 2")


def merkle_vectors():
    for name, size, chunk in [("empty", 0, BLOCK), ("one_byte", 1, BLOCK),
                              ("one_block", BLOCK, BLOCK), ("block_plus_one", BLOCK + 1, BLOCK),
                              ("odd_chunks", 5 * 32768 + 1000, 32768),
                              ("pattern_file", 40000, BLOCK)]:
        data = content(size)
        lines = [("size", str(size)), ("chunk_size", str(chunk))]
        lines.append(("block_digests", ",".join(d.hex() for d in blocks(data)) or "-"))
        digests = chunk_digests(data, chunk)
        lines.append(("chunk_digests", ",".join(d.hex() for d in digests) or "-"))
        lines.append(("root", merkle(digests).hex()))
        lines.append(("file_sha256", hashlib.sha256(data).hexdigest()))
        lines.append(("meaning", "%d bytes of the pattern, %d-byte chunks: %d chunk(s)" %
                      (size, chunk, len(digests))))
        block("merkle " + name, lines)


def connection_id_vectors():
    secret = bytes(range(32))
    for name, now, ip, port in [("ipv4", 1700000000, "127.0.0.1", 40000),
                                ("same_window_later", 1700000119, "127.0.0.1", 40000),
                                ("other_port", 1700000000, "127.0.0.1", 40001),
                                ("next_window", 1700000120, "127.0.0.1", 40000),
                                ("ipv6", 1700000000, "fd77::5", 40000),
                                ("ipv6_loopback", 1700000000, "::1", 40000)]:
        window = now // 120
        msg = struct.pack(">q", window) + address_bytes(ip) + struct.pack(">H", port)
        mac = hmac.new(secret, msg, hashlib.sha256).digest()
        cid = int.from_bytes(mac[:8], "big") or 1
        block("connection_id " + name, [
            ("secret", secret.hex()), ("window_seconds", "120"), ("now", str(now)),
            ("address", ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)),
            ("mac_input", msg.hex()),
            ("id", "%016x" % cid),
            ("meaning", "HMAC-SHA256(secret, window || family (4 or 6) || address (16 bytes, "
             "IPv4 zero-padded) || port), first 8 bytes big-endian; valid in its window and the "
             "next")])


def tracker_exchanges():
    pad = "padding: \"" + "\\000" * 16 + "\""
    connect = "transaction_id: 1 connect { protocol_magic: %d %s }" % (MAGIC, pad)
    steps = [("send_text", connect), ("expect", "body = connect"),
             ("expect", "transaction_id = 1"), ("expect", "connect.lifetime_seconds = 120"),
             ("save", "connect.connection_id")]

    def scenario(name, more, meaning):
        block("tracker " + name, steps + more + [("meaning", meaning)])

    ann = ("connection_id: $connection_id transaction_id: 2 announce { peer_id: 1001 "
           "peer_key: 77 username: \"kit_alice\" chunk_endpoint: \"tcp://127.0.0.1:7001\" "
           "files { name: \"kit.bin\" size_bytes: 40000 chunk_size_bytes: 16384 "
           "root_hash: \"%s\" chunks_have: 3 } }" % "".join("\\%03o" % b for b in ROOT_A))
    scenario("connect_then_announce", [
        ("send_text", ann), ("expect", "body = announce"), ("expect", "transaction_id = 2"),
        ("expect", "announce.interval_seconds = 60"),
        ("send_text", "connection_id: $connection_id transaction_id: 3 get_file_peers { "
         "root_hash: \"%s\" }" % "".join("\\%03o" % b for b in ROOT_A)),
        ("expect", "body = get_file_peers"), ("expect", "get_file_peers.file.seeders = 1"),
        ("expect", "get_file_peers.file.name = kit.bin")],
        "the handshake, an announce of a complete file, and who has it")
    scenario("forged_connection_id", [
        ("send_text", ann.replace("$connection_id", "42").replace("kit_alice", "kit_mallory")
         .replace("peer_id: 1001", "peer_id: 1666")),
        ("expect", "body = error"), ("expect", "transaction_id = 2"),
        ("expect", "error.code = TRACKER_ERROR_CODE_BAD_CONNECTION_ID")],
        "an id the tracker did not mint: BAD_CONNECTION_ID, nothing registered")
    scenario("bad_username", [
        ("send_text", ann.replace("kit_alice", "bad name!").replace("1001", "1002")),
        ("expect", "body = error"), ("expect", "error.code = TRACKER_ERROR_CODE_MALFORMED")],
        "a username outside [A-Za-z0-9_.-]: MALFORMED")
    scenario("bad_file_name", [
        ("send_text", ann.replace("kit.bin", "../etc").replace("1001", "1003")
         .replace("kit_alice", "kit_dave")),
        ("expect", "body = error"), ("expect", "error.code = TRACKER_ERROR_CODE_MALFORMED")],
        "a file name with '/': MALFORMED")
    scenario("too_many_chunks", [
        ("send_text", ann.replace("size_bytes: 40000", "size_bytes: 140737488355328")
         .replace("1001", "1004").replace("kit_alice", "kit_erin")),
        ("expect", "body = error"), ("expect", "error.code = TRACKER_ERROR_CODE_MALFORMED")],
        "2^47 bytes of 16 KiB chunks (2^33 chunks, over 262,080): MALFORMED")
    scenario("garbage_page_token", [
        ("send_text", "connection_id: $connection_id transaction_id: 4 list_peers { "
         "page_token: \"garbage\" }"),
        ("expect", "body = error"), ("expect", "transaction_id = 4"),
        ("expect", "error.code = TRACKER_ERROR_CODE_MALFORMED")],
        "a page token the tracker did not issue: MALFORMED")
    # Malformed inside (invalid UTF-8 in the username), framing intact.
    bad = bytearray(tracker_pb2.TrackerRequest(transaction_id=0xA1B2C3D4, connection_id=5)
                    .SerializeToString())
    inner = tracker_pb2.AnnounceRequest(peer_id=1, peer_key=2, username="abc").SerializeToString()
    inner = inner.replace(b"abc", b"a\xffc")
    bad += b"\x22" + bytes([len(inner)]) + inner
    block("tracker malformed_inside_echoes_transaction_id", [
        ("send_hex", bad.hex()), ("expect", "body = error"),
        ("expect", "transaction_id = 2712847316"),
        ("expect", "error.code = TRACKER_ERROR_CODE_MALFORMED"),
        ("meaning", "invalid UTF-8 inside announce: MALFORMED, the transaction id echoed")])
    block("tracker malformed_framing", [
        ("send_hex", "150700000022" + "7f" + "616263"), ("expect", "body = error"),
        ("expect", "transaction_id = 0"),
        ("expect", "error.code = TRACKER_ERROR_CODE_MALFORMED"),
        ("meaning", "a length past the end breaks the framing: MALFORMED, transaction id 0")])
    block("tracker unknown_kind", [
        ("send_hex", "1503000000" + "7202" + "0000"), ("expect", "body = error"),
        ("expect", "error.code = TRACKER_ERROR_CODE_UNSUPPORTED"),
        ("meaning", "field 14, a request kind this version does not know: UNSUPPORTED")])
    block("tracker oversize", [
        ("send_hex", "00*8193"), ("expect", "dropped"),
        ("meaning", "8193 bytes: over the 8192-byte limit, dropped unread")])
    block("tracker connect_without_padding", [
        ("send_text", "transaction_id: 5 connect { protocol_magic: %d }" % MAGIC),
        ("expect", "dropped"),
        ("meaning", "the reply would be larger than the request: dropped (no amplification)")])
    block("tracker bad_magic", [
        ("send_text", "transaction_id: 6 connect { protocol_magic: 1 %s }" % pad),
        ("expect", "body = error"), ("expect", "error.code = TRACKER_ERROR_CODE_MALFORMED"),
        ("meaning", "connect with the wrong magic: MALFORMED")])


def wire_exchanges():
    lines = [("file_size", "40000"), ("chunk_size", "16384")]

    def scenario(name, more, meaning):
        block("wire " + name, lines + more + [("meaning", meaning)])

    scenario("hello", [("send_text", "hello { protocol_version: PROTOCOL_VERSION_1 peer_id: 5 }"),
                       ("expect", "body = hello"),
                       ("expect", "hello.protocol_version = PROTOCOL_VERSION_1")],
             "Hello is answered with Hello")
    scenario("manifest_then_bitfield", [
        ("send_text", "manifest_request { root_hash: \"$root\" }"),
        ("expect", "body = manifest"), ("expect", "manifest.root_hash = $root_hex"),
        ("expect", "manifest.size_bytes = 40000"), ("next", ""),
        ("expect", "body = bitfield"), ("expect", "bitfield.chunk_count = 3"),
        ("expect", "bitfield.bits = e0")],
        "a manifest is always followed by the seeder's Bitfield")
    scenario("chunk", [
        ("send_text", "chunk_request { root_hash: \"$root\" chunk_index: 2 }"),
        ("expect", "body = chunk"), ("expect", "chunk.chunk_index = 2"),
        ("expect", "chunk.size_bytes = 7232"), ("expect", "frames = 2")],
        "ChunkData then a raw frame of exactly size_bytes")
    scenario("unknown_file", [
        ("send_text", "chunk_request { root_hash: \"%s\" chunk_index: 0 }" %
         ("\\001" * 32)), ("expect", "body = reject"),
        ("expect", "reject.reason = REJECT_REASON_UNKNOWN_FILE")], "not shared here")
    scenario("chunk_past_the_end", [
        ("send_text", "chunk_request { root_hash: \"$root\" chunk_index: 3 }"),
        ("expect", "body = reject"), ("expect", "reject.reason = REJECT_REASON_UNKNOWN_CHUNK"),
        ("expect", "reject.chunk_index = 3")], "index past the last chunk")
    scenario("short_root_hash", [
        ("send_text", "manifest_request { root_hash: \"abc\" }"), ("expect", "body = reject"),
        ("expect", "reject.reason = REJECT_REASON_MALFORMED")], "root hash not 32 bytes")
    scenario("bad_version", [
        ("send_text", "hello { protocol_version: 7 }"), ("expect", "body = reject"),
        ("expect", "reject.reason = REJECT_REASON_VERSION")], "an unknown protocol version")
    scenario("garbage_frame", [
        ("send_hex", "ffffffff"), ("expect", "body = reject"),
        ("expect", "reject.reason = REJECT_REASON_MALFORMED")], "a frame that is not a PeerMessage")


def main():
    OUT.extend(["# PyTorrent conformance vectors (format: tests/conformance/FORMAT.md).",
                "# Generated by tests/conformance/make_vectors.py; do not edit by hand.", ""])
    tracker_messages()
    wire_messages()
    merkle_vectors()
    connection_id_vectors()
    tracker_exchanges()
    wire_exchanges()
    sys.stdout.write("\n".join(OUT))


if __name__ == "__main__":
    main()
