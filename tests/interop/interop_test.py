#!/usr/bin/python3
"""Interop: a Python client built from proto/ alone talks to the real C++ tracker and peer.

Generates nothing itself: Bazel's //proto:py_proto genrule ran protoc and
grpc_python_plugin over proto/*.proto. This script starts the real tracker and
peer binaries on 127.0.0.1 (OS-chosen ports, files under $TEST_TMPDIR), then:
  1. speaks the tracker's UDP protocol: connect, announce, search, and a
     malformed datagram that must not stop the tracker answering;
  2. calls the peer's PeerAdmin service over its Unix socket with gRPC.
Every wait is bounded; every process started here is stopped by PID.
"""
import ctypes
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import shutil
import tempfile
import time
import unittest

import grpc

from proto import admin_pb2
from proto import admin_pb2_grpc
from proto import tracker_pb2

CONNECT_MAGIC = 0x41727101980
TMP = os.environ.get("TEST_TMPDIR", "/tmp")
DEADLINE_S = 30


_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in each child before exec: SIGKILL it if this test process dies
    (e.g. killed by Bazel's timeout) before `Swarm.close` could stop it."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


BLOCK_BYTES = 16 * 1024


def merkle_root_of(leaves):
    """The Merkle root over a list of 32-byte digests (proto/wire.proto,
    peer/merkle.h): interior nodes SHA-256(0x01 || left || right); a level's
    odd last node is promoted unchanged; one leaf is its own root; no leaves
    give SHA-256 of the empty string."""
    level = list(leaves)
    if not level:
        return hashlib.sha256(b"").digest()
    while len(level) > 1:
        level = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
                 if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def merkle_root(content):
    """The root over SHA-256 of each 16 KiB block of `content` (the last
    block may be shorter). For a whole file this is its root hash; for one
    chunk it is the chunk's digest in a manifest (a one-block chunk: its
    plain SHA-256)."""
    return merkle_root_of(hashlib.sha256(content[i:i + BLOCK_BYTES]).digest()
                          for i in range(0, len(content), BLOCK_BYTES))


def wait_for(predicate, what, timeout_s=DEADLINE_S):
    """Polls `predicate` until true or raises after `timeout_s` (bounded wait)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def read_file(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


class Swarm:
    """The real tracker and one real peer sharing `content` as `name`
    (started with `peer_args` added), stopped in `close`."""

    def __init__(self, name="interop.bin", content=None, peer_args=()):
        self.name = name
        self.content = random.Random(7).randbytes(300 * 1024) if content is None else content
        self.peer_args = list(peer_args)
        self.procs = []
        self.state_fd = None
        self.root = tempfile.mkdtemp(prefix="ptinterop.", dir=TMP)
        try:
            self._start(self.root)
        except BaseException:
            # setUpClass failed: tearDownClass will not run, stop them here.
            self.close()
            raise

    def _start(self, root):
        port_file = os.path.join(root, "tracker.port")
        self.procs.append(subprocess.Popen(
            ["tracker/tracker", "--home", os.path.join(root, "tracker"), "--host", "127.0.0.1",
             "--port", "0", "--port-file", port_file], preexec_fn=_die_with_parent))
        self.tracker_port = int(wait_for(lambda: read_file(port_file), "tracker port file"))

        self.peer_home = os.path.join(root, "peer")
        shared = os.path.join(self.peer_home, "user", "shared_files")
        os.makedirs(shared, exist_ok=True)
        with open(os.path.join(shared, self.name), "wb") as f:
            f.write(self.content)
        self.procs.append(subprocess.Popen(
            ["peer/peer", "--home", self.peer_home, "--tracker",
             "127.0.0.1:%d" % self.tracker_port, "--username", "pyinterop",
             "--chunk-listen", "tcp://127.0.0.1:0"] + self.peer_args,
            preexec_fn=_die_with_parent))
        self.admin_socket = os.path.join(self.peer_home, "state", "admin.sock")
        wait_for(lambda: os.path.exists(self.admin_socket), "peer admin socket")
        # The socket's path may exceed the 107 bytes a Unix socket address
        # holds ($TEST_TMPDIR is long): dial it through an fd of its folder.
        # The fd must stay open as long as a channel may (re)connect.
        self.state_fd = os.open(os.path.dirname(self.admin_socket),
                                os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self.admin_target = "unix:/proc/self/fd/%d/admin.sock" % self.state_fd

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.state_fd is not None:
            os.close(self.state_fd)
            self.state_fd = None
        shutil.rmtree(self.root, ignore_errors=True)


class TrackerUdp:
    """A minimal tracker client written from proto/tracker.proto alone."""

    def __init__(self, port):
        self.address = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(2.0)
        self.connection_id = 0

    def call(self, request, attempts=5):
        request.transaction_id = random.getrandbits(32)
        for _ in range(attempts):
            self.sock.sendto(request.SerializeToString(), self.address)
            try:
                while True:
                    data, _ = self.sock.recvfrom(65536)
                    reply = tracker_pb2.TrackerResponse()
                    reply.ParseFromString(data)
                    if reply.transaction_id == request.transaction_id:
                        return reply
            except socket.timeout:
                continue
        raise AssertionError("tracker did not answer")

    def connect(self):
        request = tracker_pb2.TrackerRequest()
        request.connect.protocol_magic = CONNECT_MAGIC
        request.connect.padding = bytes(16)
        reply = self.call(request)
        assert reply.WhichOneof("body") == "connect", reply
        self.connection_id = reply.connect.connection_id
        return reply


class InteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.swarm = Swarm()

    @classmethod
    def tearDownClass(cls):
        cls.swarm.close()

    def test_tracker_udp_round_trip(self):
        client = TrackerUdp(self.swarm.tracker_port)
        connect = client.connect()
        self.assertGreater(connect.connect.lifetime_seconds, 0)

        announce = tracker_pb2.TrackerRequest(connection_id=client.connection_id)
        announce.announce.peer_id = random.getrandbits(64)
        announce.announce.peer_key = random.getrandbits(64)
        announce.announce.username = "python-peer"
        announce.announce.chunk_endpoint = "tcp://127.0.0.1:1"
        f = announce.announce.files.add()
        f.name = "from-python.txt"
        f.size_bytes = 1000
        f.chunk_size_bytes = 256 * 1024
        f.root_hash = hashlib.sha256(b"python").digest()
        f.chunks_have = 1
        reply = client.call(announce)
        self.assertEqual(reply.WhichOneof("body"), "announce", reply)
        self.assertGreater(reply.announce.interval_seconds, 0)

        search = tracker_pb2.TrackerRequest(connection_id=client.connection_id)
        search.search_files.query = "FROM-PYTHON"
        reply = client.call(search)
        self.assertEqual(reply.WhichOneof("body"), "search_files", reply)
        names = [x.name for x in reply.search_files.files]
        self.assertIn("from-python.txt", names)
        self.assertEqual(reply.search_files.files[0].seeders, 1)

    def test_forged_connection_id_gets_typed_error(self):
        client = TrackerUdp(self.swarm.tracker_port)
        request = tracker_pb2.TrackerRequest(connection_id=0xDEADBEEF)
        request.list_peers.page_size = 10
        reply = client.call(request)
        self.assertEqual(reply.WhichOneof("body"), "error", reply)
        self.assertEqual(reply.error.code, tracker_pb2.TRACKER_ERROR_CODE_BAD_CONNECTION_ID)

    def test_malformed_datagram_does_not_stop_tracker(self):
        client = TrackerUdp(self.swarm.tracker_port)
        for garbage in (b"\xff" * 40, b"", b"\x08" * 3000, os.urandom(1500)):
            client.sock.sendto(garbage, client.address)
        client.connect()
        stats = tracker_pb2.TrackerRequest(connection_id=client.connection_id)
        stats.get_stats.SetInParent()
        reply = client.call(stats)
        self.assertEqual(reply.WhichOneof("body"), "get_stats", reply)
        self.assertGreaterEqual(reply.get_stats.errors, 1)

    def test_peer_admin_over_grpc(self):
        channel = grpc.insecure_channel(self.swarm.admin_target)
        stub = admin_pb2_grpc.PeerAdminStub(channel)
        status = stub.GetStatus(admin_pb2.GetStatusRequest(), timeout=10)
        self.assertEqual(status.username, "pyinterop")
        digest = hashlib.sha256(self.swarm.content).digest()

        def shared():
            files = stub.ListSharedFiles(admin_pb2.ListSharedFilesRequest(), timeout=10).files
            return [f for f in files if f.name == "interop.bin"]

        files = wait_for(shared, "peer to share interop.bin")
        self.assertEqual(files[0].size_bytes, len(self.swarm.content))
        self.assertEqual(files[0].file_sha256, digest)

        # The peer announced it: the tracker lists it to a Python client too.
        def listed():
            reply = stub.SearchFiles(tracker_pb2.SearchFilesRequest(query="interop"), timeout=10)
            return [f for f in reply.files if f.name == "interop.bin"]

        wait_for(listed, "tracker to list interop.bin")

        with self.assertRaises(grpc.RpcError) as caught:
            stub.StartDownload(admin_pb2.StartDownloadRequest(root_hash=b"short"), timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        channel.close()

    def test_share_list_watch_cancel_on_real_node(self):
        """ShareFile, ListDownloads, WatchDownload and CancelDownload on the real peer."""
        channel = grpc.insecure_channel(self.swarm.admin_target)
        stub = admin_pb2_grpc.PeerAdminStub(channel)

        content = random.Random(11).randbytes(70 * 1024)
        outside = os.path.join(self.swarm.root, "to-share.txt")
        with open(outside, "wb") as f:
            f.write(content)
        shared = stub.ShareFile(admin_pb2.ShareFileRequest(path=outside), timeout=30).file
        self.assertEqual(shared.name, "to-share.txt")
        self.assertEqual(shared.file_sha256, hashlib.sha256(content).digest())
        # The file's identity, rebuilt from the definition in proto/wire.proto
        # with nothing but hashlib.
        self.assertEqual(shared.root_hash, merkle_root(content))
        wait_for(lambda: [f for f in stub.ListSharedFiles(admin_pb2.ListSharedFilesRequest(),
                                                          timeout=10).files
                          if f.name == "to-share.txt"], "the shared copy to be listed")

        # Nobody has this root: the download is accepted and waits for peers.
        root = hashlib.sha256(b"no peer has this file").digest()
        download_id = stub.StartDownload(admin_pb2.StartDownloadRequest(root_hash=root),
                                         timeout=30).download_id
        listed = stub.ListDownloads(admin_pb2.ListDownloadsRequest(), timeout=10).downloads
        self.assertIn(download_id, [d.download_id for d in listed])

        watch = stub.WatchDownload(
            admin_pb2.WatchDownloadRequest(download_id=download_id, min_interval_ms=50),
            timeout=30)
        first = next(watch)  # the full snapshot comes first
        self.assertEqual(first.download_id, download_id)
        self.assertEqual(first.root_hash, root)
        stub.CancelDownload(admin_pb2.CancelDownloadRequest(download_id=download_id), timeout=10)
        last = first
        for last in watch:  # the stream ends after the terminal state
            pass
        self.assertEqual(last.state, admin_pb2.DOWNLOAD_STATE_CANCELLED)

        with self.assertRaises(grpc.RpcError) as caught:
            stub.CancelDownload(admin_pb2.CancelDownloadRequest(download_id=987654321),
                                timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)
        channel.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
