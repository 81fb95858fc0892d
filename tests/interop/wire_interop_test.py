#!/usr/bin/python3
"""Interop: a Python leecher written from proto/wire.proto alone downloads
from the real C++ peer over ZeroMQ.

Uses nothing but pyzmq (Debian python3-zmq), the wire_pb2 module Bazel's
//proto:py_proto genrule generated, and hashlib. The real tracker and a real
peer (64 KiB chunks, so every full chunk is a 4-block Merkle subtree and the
last chunk a partial 3-block one) run on 127.0.0.1 with OS-chosen ports and
files under $TEST_TMPDIR. The test then:
  1. learns the peer's chunk endpoint from state/chunk_endpoint and checks
     that the admin plane and the tracker publish the same one;
  2. speaks the wire protocol on a DEALER socket: Hello, ManifestRequest
     (the manifest's root is rebuilt from its chunk hashes), then every chunk
     with several requests in flight, each chunk verified against its
     manifest digest, the file reassembled and checked against file_sha256;
  3. sends requests that must be refused (unknown file, chunk past the end,
     garbage frames, wrong version) and checks each Reject, then that the
     seeder still serves.
Every receive is a poll with a deadline; every process started here is
stopped by PID (children also die with this process).

Framing (proto/wire.proto, peer/zmq_seeder.cc): a DEALER sends one frame, a
serialized pytorrent.v1.PeerMessage; the seeder's ROUTER answers with one
header frame, plus exactly one raw body frame after a ChunkData header.
"""
import hashlib
import os
import random
import sys
import time
import unittest

# The helpers shared with interop_test.py, from this test's runfiles.
sys.path.insert(0, os.path.join(os.getcwd(), "tests", "interop"))

import grpc  # noqa: E402
import zmq  # noqa: E402
import zmq.utils.monitor  # noqa: E402

import interop_test as base  # noqa: E402
from proto import admin_pb2  # noqa: E402
from proto import admin_pb2_grpc  # noqa: E402
from proto import tracker_pb2  # noqa: E402
from proto import wire_pb2  # noqa: E402

CHUNK_KIB = 64
CHUNK_BYTES = CHUNK_KIB * 1024
# 19 full chunks, then a last chunk of two full blocks and a 1234-byte one:
# not a multiple of the 16 KiB block, and 20 chunk digests make the file's
# tree promote an odd node (20 -> 10 -> 5 -> 3 -> 2 -> 1).
FILE_BYTES = 19 * CHUNK_BYTES + 2 * base.BLOCK_BYTES + 1234
CHUNK_COUNT = 20
FILE_NAME = "wire.bin"
DIGEST_BYTES = 32
WINDOW = 6  # chunk requests kept in flight
RECEIVE_DEADLINE_S = 10
# proto/wire.proto: header frames are at most 64 KiB, a ManifestResponse
# header at most 8 MiB.
MAX_HEADER_BYTES = 64 * 1024
MAX_MANIFEST_HEADER_BYTES = 8 * 1024 * 1024 + 4096


def chunk_digest(chunk):
    """A manifest's chunk hash: the Merkle root over the chunk's 16 KiB
    blocks (proto/wire.proto ManifestResponse.chunk_hashes)."""
    return base.merkle_root(chunk)


def split_digests(blob):
    assert len(blob) % DIGEST_BYTES == 0, len(blob)
    return [blob[i:i + DIGEST_BYTES] for i in range(0, len(blob), DIGEST_BYTES)]


class WireClient:
    """One DEALER connection to a seeder's ROUTER, from proto/wire.proto."""

    def __init__(self, context, endpoint):
        self.sock = context.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        # Sends never block: a full queue raises instead of waiting forever.
        self.sock.setsockopt(zmq.SNDTIMEO, RECEIVE_DEADLINE_S * 1000)
        self.sock.connect(endpoint)

    def close(self):
        self.sock.close(linger=0)

    def send(self, message):
        self.sock.send(message.SerializeToString())

    def send_frames(self, frames):
        self.sock.send_multipart(frames)

    def receive(self, timeout_s=RECEIVE_DEADLINE_S):
        """The next message as (PeerMessage, body frame or None). Fails if
        nothing arrives within `timeout_s` or the framing breaks the spec."""
        if not self.sock.poll(int(timeout_s * 1000), zmq.POLLIN):
            raise AssertionError("the seeder sent nothing within %d s" % timeout_s)
        # ZeroMQ delivers a multipart message whole: every frame is here.
        frames = self.sock.recv_multipart(zmq.NOBLOCK)
        header = wire_pb2.PeerMessage()
        header.ParseFromString(frames[0])
        kind = header.WhichOneof("body")
        if kind is None:
            raise AssertionError("header frame without a body: %r" % frames[0][:64])
        limit = MAX_MANIFEST_HEADER_BYTES if kind == "manifest" else MAX_HEADER_BYTES
        if len(frames[0]) > limit:
            raise AssertionError("%s header of %d bytes" % (kind, len(frames[0])))
        want_frames = 2 if kind == "chunk" else 1
        if len(frames) != want_frames:
            raise AssertionError("%s came in %d frames" % (kind, len(frames)))
        return header, (frames[1] if kind == "chunk" else None)

    def expect(self, kind):
        """The next message, which must be of `kind`; returns (body, frame)."""
        header, data = self.receive()
        if header.WhichOneof("body") != kind:
            raise AssertionError("expected %s, got %s" % (kind, header))
        return getattr(header, kind), data

    def hello(self, peer_id=None):
        message = wire_pb2.PeerMessage()
        message.hello.protocol_version = wire_pb2.PROTOCOL_VERSION_1
        message.hello.peer_id = random.getrandbits(64) if peer_id is None else peer_id
        self.send(message)
        hello, _ = self.expect("hello")
        return hello

    def request_manifest(self, root):
        message = wire_pb2.PeerMessage()
        message.manifest_request.root_hash = root
        self.send(message)

    def request_chunk(self, root, index):
        message = wire_pb2.PeerMessage()
        message.chunk_request.root_hash = root
        message.chunk_request.chunk_index = index
        self.send(message)

    def fetch_manifest(self, root):
        """ManifestRequest, then the ManifestResponse and Bitfield it gets."""
        self.request_manifest(root)
        manifest, _ = self.expect("manifest")
        bitfield, _ = self.expect("bitfield")
        return manifest, bitfield


class WireInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.content = random.Random(52).randbytes(FILE_BYTES)
        cls.swarm = base.Swarm(name=FILE_NAME, content=cls.content,
                               peer_args=["--chunk-size-kib", str(CHUNK_KIB)])
        cls.context = zmq.Context()
        try:
            channel = grpc.insecure_channel(cls.swarm.admin_target)
            stub = admin_pb2_grpc.PeerAdminStub(channel)

            def shared():
                files = stub.ListSharedFiles(admin_pb2.ListSharedFilesRequest(),
                                             timeout=10).files
                return [f for f in files if f.name == FILE_NAME]

            cls.shared = base.wait_for(shared, "the peer to share " + FILE_NAME)[0]
            cls.root = cls.shared.root_hash
            cls.status = stub.GetStatus(admin_pb2.GetStatusRequest(), timeout=10)
            channel.close()
            endpoint_file = os.path.join(cls.swarm.peer_home, "state", "chunk_endpoint")
            cls.endpoint = base.wait_for(lambda: base.read_file(endpoint_file),
                                         "state/chunk_endpoint")
        except BaseException:
            cls.context.destroy(linger=0)
            cls.swarm.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.context.destroy(linger=0)
        cls.swarm.close()

    def client(self):
        client = WireClient(self.context, self.endpoint)
        self.addCleanup(client.close)
        return client

    def test_peer_publishes_one_chunk_endpoint(self):
        self.assertRegex(self.endpoint, r"^tcp://127\.0\.0\.1:[1-9][0-9]*$")
        self.assertEqual(self.status.chunk_endpoint, self.endpoint)
        # A client that knows only the tracker finds the same endpoint.
        tracker = base.TrackerUdp(self.swarm.tracker_port)
        self.addCleanup(tracker.sock.close)
        tracker.connect()

        def file_peers():
            request = tracker_pb2.TrackerRequest(connection_id=tracker.connection_id)
            request.get_file_peers.root_hash = self.root
            reply = tracker.call(request)
            if reply.WhichOneof("body") != "get_file_peers":
                return None
            return list(reply.get_file_peers.peers)

        peers = base.wait_for(file_peers, "the tracker to list the peer for " + FILE_NAME)
        self.assertEqual([(p.peer_id, p.chunk_endpoint) for p in peers],
                         [(self.status.peer_id, self.endpoint)])
        # The seeder's Hello carries the same peer id.
        hello = self.client().hello()
        self.assertEqual(hello.protocol_version, wire_pb2.PROTOCOL_VERSION_1)
        self.assertEqual(hello.peer_id, self.status.peer_id)

    def test_manifest_rebuilds_the_root(self):
        client = self.client()
        client.hello()
        manifest, bitfield = client.fetch_manifest(self.root)
        self.assertEqual(manifest.root_hash, self.root)
        self.assertEqual(manifest.name, FILE_NAME)
        self.assertEqual(manifest.size_bytes, FILE_BYTES)
        self.assertEqual(manifest.chunk_size_bytes, CHUNK_BYTES)
        digests = split_digests(manifest.chunk_hashes)
        self.assertEqual(len(digests), CHUNK_COUNT)
        # The receiver's check from proto/wire.proto: the chunk digests
        # rebuild the root the file is known by.
        self.assertEqual(base.merkle_root_of(digests), manifest.root_hash)
        self.assertEqual(manifest.file_sha256, hashlib.sha256(self.content).digest())
        # Independently of the seeder: the same root over the 16 KiB blocks,
        # and each digest over its chunk of the original bytes.
        self.assertEqual(base.merkle_root(self.content), self.root)
        self.assertEqual(digests, [chunk_digest(self.content[i:i + CHUNK_BYTES])
                                   for i in range(0, FILE_BYTES, CHUNK_BYTES)])
        # A seeder of the whole file holds every chunk: 20 bits, MSB first.
        self.assertEqual(bitfield.root_hash, self.root)
        self.assertEqual(bitfield.chunk_count, CHUNK_COUNT)
        self.assertEqual(bitfield.bits, b"\xff\xff\xf0")

    def test_downloads_every_chunk_pipelined(self):
        client = self.client()
        client.hello()
        manifest, _ = client.fetch_manifest(self.root)
        self.assertEqual(base.merkle_root_of(split_digests(manifest.chunk_hashes)), self.root)
        digests = split_digests(manifest.chunk_hashes)
        size = manifest.size_bytes
        chunk_size = manifest.chunk_size_bytes
        count = len(digests)
        self.assertEqual(count, -(-size // chunk_size))

        out = bytearray(size)
        pending = set()
        received = set()
        most_in_flight = 0
        next_index = 0
        while len(received) < count:
            while next_index < count and len(pending) < WINDOW:
                client.request_chunk(self.root, next_index)
                pending.add(next_index)
                next_index += 1
            most_in_flight = max(most_in_flight, len(pending))
            chunk, body = client.expect("chunk")
            index = chunk.chunk_index
            self.assertEqual(chunk.root_hash, self.root)
            self.assertIn(index, pending, "unrequested or duplicate chunk")
            pending.remove(index)
            received.add(index)
            want = min(chunk_size, size - index * chunk_size)
            self.assertEqual(chunk.size_bytes, want)
            self.assertEqual(len(body), want)
            self.assertEqual(chunk_digest(body), digests[index],
                             "chunk %d fails its manifest digest" % index)
            out[index * chunk_size:index * chunk_size + want] = body
        self.assertEqual(most_in_flight, WINDOW)
        self.assertEqual(hashlib.sha256(out).digest(), manifest.file_sha256)
        self.assertEqual(bytes(out), self.content)

    def peer_status(self):
        channel = grpc.insecure_channel(self.swarm.admin_target)
        try:
            return admin_pb2_grpc.PeerAdminStub(channel).GetStatus(
                admin_pb2.GetStatusRequest(), timeout=10)
        finally:
            channel.close()

    def test_rejects_then_still_serves(self):
        before = self.peer_status()
        client = self.client()
        client.hello()
        unknown_root = hashlib.sha256(b"no peer shares this").digest()

        def expect_reject(reason, root=b"", index=0):
            reject, _ = client.expect("reject")
            self.assertEqual(reject.reason, reason, reject)
            self.assertEqual(reject.root_hash, root)
            self.assertEqual(reject.chunk_index, index)

        client.request_chunk(unknown_root, 3)
        expect_reject(wire_pb2.REJECT_REASON_UNKNOWN_FILE, unknown_root, 3)
        client.request_manifest(unknown_root)
        expect_reject(wire_pb2.REJECT_REASON_UNKNOWN_FILE, unknown_root)
        client.request_chunk(self.root, CHUNK_COUNT)
        expect_reject(wire_pb2.REJECT_REASON_UNKNOWN_CHUNK, self.root, CHUNK_COUNT)
        client.request_chunk(self.root, 0xFFFFFFFF)
        expect_reject(wire_pb2.REJECT_REASON_UNKNOWN_CHUNK, self.root, 0xFFFFFFFF)

        # Malformed: a root of the wrong length, bytes that do not parse, an
        # empty header (no body), a header with a stray second frame, and a
        # kind a seeder never receives. Each gets MALFORMED naming nothing.
        short_root = wire_pb2.PeerMessage()
        short_root.chunk_request.root_hash = self.root[:5]
        request = wire_pb2.PeerMessage()
        request.chunk_request.root_hash = self.root
        have = wire_pb2.PeerMessage()
        have.have.root_hash = self.root
        for frames in ([short_root.SerializeToString()], [b"\xff" * 40], [b""],
                       [request.SerializeToString(), b"stray body"],
                       [have.SerializeToString()]):
            client.send_frames(frames)
            expect_reject(wire_pb2.REJECT_REASON_MALFORMED)

        for version in (wire_pb2.PROTOCOL_VERSION_UNSPECIFIED, 2):
            hello = wire_pb2.PeerMessage()
            hello.hello.protocol_version = version
            client.send(hello)
            expect_reject(wire_pb2.REJECT_REASON_VERSION)

        # The node counts what it rejected and shows it over gRPC: 4 unknown
        # file/chunk + 5 malformed + 2 version Rejects, 5 of them malformed.
        def counted():
            now = self.peer_status()
            return (now.malformed_frames >= before.malformed_frames + 5 and
                    now.rejects_sent >= before.rejects_sent + 11)

        base.wait_for(counted, "GetStatus to count the malformed frames and Rejects")

        # The same connection is still served, exactly.
        client.hello()
        last = CHUNK_COUNT - 1
        client.request_chunk(self.root, last)
        chunk, body = client.expect("chunk")
        self.assertEqual(chunk.chunk_index, last)
        self.assertEqual(body, self.content[last * CHUNK_BYTES:])
        manifest, _ = client.fetch_manifest(self.root)
        self.assertEqual(chunk_digest(body), split_digests(manifest.chunk_hashes)[last])

    def test_oversized_frame_drops_only_that_connection(self):
        bad = self.client()
        monitor = bad.sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self.addCleanup(monitor.close, 0)
        bad.hello()  # connected
        # Over the seeder's 64 KiB header limit: ZeroMQ closes the connection.
        bad.send_frames([b"\x0a" * (MAX_HEADER_BYTES + 1)])
        end = time.monotonic() + RECEIVE_DEADLINE_S
        while True:
            remaining_ms = int((end - time.monotonic()) * 1000)
            self.assertGreater(remaining_ms, 0, "the seeder kept the connection")
            if monitor.poll(remaining_ms, zmq.POLLIN):
                event = zmq.utils.monitor.recv_monitor_message(monitor)
                if event["event"] == zmq.EVENT_DISCONNECTED:
                    break
        good = self.client()
        good.hello()
        good.request_chunk(self.root, 0)
        chunk, body = good.expect("chunk")
        self.assertEqual(body, self.content[:CHUNK_BYTES])
        for proc in self.swarm.procs:
            self.assertIsNone(proc.poll())


if __name__ == "__main__":
    unittest.main(verbosity=2)
