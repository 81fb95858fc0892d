#!/usr/bin/python3
"""Finding 1 of issue 14: a seeder that answers ManifestRequest with the
manifest alone (no Bitfield) must not stall the real C++ leecher silently.

proto/wire.proto now states the rule (a Bitfield follows every manifest;
chunks are requested only from seeders whose Bitfield arrived) and that the
leecher drops a seeder that sent none within 10 seconds, saying so in
DownloadProgress.error. Here a Python seeder (ZeroMQ ROUTER, from
proto/wire.proto alone) announces a file to the real tracker and serves
Hello and the manifest but never a Bitfield; the real peer is asked to
download the file over its admin socket. Before the fix the download sat
in STARTING/DOWNLOADING forever with an empty error.
"""
import hashlib
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.getcwd(), "tests", "interop"))

import grpc  # noqa: E402
import zmq  # noqa: E402

import interop_test as base  # noqa: E402
from proto import admin_pb2  # noqa: E402
from proto import admin_pb2_grpc  # noqa: E402
from proto import tracker_pb2  # noqa: E402
from proto import wire_pb2  # noqa: E402

CHUNK_BYTES = 16 * 1024
CONTENT = random.Random(14).randbytes(3 * CHUNK_BYTES + 100)
DEADLINE_S = 40  # the leecher's 10 s Bitfield deadline, plus start-up


def manifest_for(content, name):
    digests = [base.merkle_root(content[i:i + CHUNK_BYTES])
               for i in range(0, len(content), CHUNK_BYTES)]
    m = wire_pb2.ManifestResponse()
    m.root_hash = base.merkle_root_of(digests)
    m.name = name
    m.size_bytes = len(content)
    m.chunk_size_bytes = CHUNK_BYTES
    m.chunk_hashes = b"".join(digests)
    m.file_sha256 = hashlib.sha256(content).digest()
    return m


class SilentSeederTest(unittest.TestCase):
    def test_leecher_reports_a_seeder_that_sends_no_bitfield(self):
        swarm = base.Swarm(name="own.bin")
        self.addCleanup(swarm.close)
        context = zmq.Context()
        self.addCleanup(context.destroy, 0)
        router = context.socket(zmq.ROUTER)
        router.bind("tcp://127.0.0.1:*")
        endpoint = router.getsockopt(zmq.LAST_ENDPOINT).decode()
        manifest = manifest_for(CONTENT, "silent.bin")

        tracker = base.TrackerUdp(swarm.tracker_port)
        tracker.connect()
        announce = tracker_pb2.TrackerRequest()
        announce.connection_id = tracker.connection_id
        a = announce.announce
        a.peer_id, a.peer_key, a.username, a.chunk_endpoint = 77, 78, "silent", endpoint
        f = a.files.add()
        f.name, f.size_bytes, f.chunk_size_bytes = "silent.bin", len(CONTENT), CHUNK_BYTES
        f.root_hash, f.chunks_have = manifest.root_hash, 4
        reply = tracker.call(announce)
        self.assertEqual(reply.WhichOneof("body"), "announce", reply)

        channel = grpc.insecure_channel(swarm.admin_target)
        self.addCleanup(channel.close)
        stub = admin_pb2_grpc.PeerAdminStub(channel)
        started = stub.StartDownload(
            admin_pb2.StartDownloadRequest(root_hash=manifest.root_hash), timeout=10)

        manifests_served = 0
        end = time.monotonic() + DEADLINE_S
        error = ""
        while time.monotonic() < end and "Bitfield" not in error:
            if router.poll(100):
                identity, frame = router.recv_multipart()
                message = wire_pb2.PeerMessage()
                message.ParseFromString(frame)
                kind = message.WhichOneof("body")
                if kind == "hello":
                    out = wire_pb2.PeerMessage()
                    out.hello.protocol_version = wire_pb2.PROTOCOL_VERSION_1
                    out.hello.peer_id = 77
                    router.send_multipart([identity, out.SerializeToString()])
                elif kind == "manifest_request":
                    out = wire_pb2.PeerMessage()
                    out.manifest.CopyFrom(manifest)
                    router.send_multipart([identity, out.SerializeToString()])
                    manifests_served += 1  # and, against the rule, no Bitfield
                else:
                    self.fail("a chunk was requested without a Bitfield: " + kind)
            downloads = stub.ListDownloads(admin_pb2.ListDownloadsRequest(), timeout=10)
            for d in downloads.downloads:
                if d.download_id == started.download_id:
                    error = d.error
        self.assertGreater(manifests_served, 0)
        self.assertIn("sent no Bitfield", error)
        self.assertIn(endpoint, error)


if __name__ == "__main__":
    unittest.main()
