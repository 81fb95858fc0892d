#!/usr/bin/python3
"""The node's loop never waits on the disk: while a node re-checks a large
partial file on resume (and then verifies and publishes it), it keeps
serving chunks of another file to another peer.

Node A starts with a 4 GiB partial file in state/ (sparse: the disk holds
nothing, but every byte is read and hashed) whose resume state is unusable,
so resuming must re-hash all of it, and shares a small file. A Python client
written from proto/wire.proto requests the small file's chunk from A one at
a time, as fast as A answers, and records when each answer arrives. Then a
seeder of the big file appears; A learns of it from the tracker, fetches the
manifest, re-checks the 4 GiB (VERIFYING), verifies the whole file and
publishes it. The longest silence between two answers while that happened
is the serving gap; it must stay under GAP_LIMIT_S (before the redesign the
loop itself re-hashed the file and stopped serving for the whole re-check).

Every wait is bounded; every process started here is stopped by PID.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.getcwd(), "tests", "interop"))

import zmq  # noqa: E402

import interop_test as base  # noqa: E402
from proto import wire_pb2  # noqa: E402

BIG_BYTES = 4 << 30
SMALL_BYTES = 256 * 1024
GAP_LIMIT_S = 1.5
COMPLETE_DEADLINE_S = 240


def zero_file_root(size):
    """Merkle root of `size` zero bytes, size a power-of-two multiple of
    16 KiB: every leaf is the same, so every level is one hash."""
    digest = hashlib.sha256(bytes(base.BLOCK_BYTES)).digest()
    leaves = size // base.BLOCK_BYTES
    while leaves > 1:
        digest = hashlib.sha256(b"\x01" + digest + digest).digest()
        leaves //= 2
    return digest


class Sampler(threading.Thread):
    """Requests chunk 0 of `root` from `endpoint` in a loop; records the
    arrival time of every answer until stopped."""

    def __init__(self, endpoint, root):
        super().__init__(daemon=True)
        self.endpoint = endpoint
        self.root = root
        self.arrivals = []
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        ctx = zmq.Context()
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(self.endpoint)
        hello = wire_pb2.PeerMessage()
        hello.hello.protocol_version = wire_pb2.PROTOCOL_VERSION_1
        hello.hello.peer_id = 4242
        sock.send(hello.SerializeToString())
        request = wire_pb2.PeerMessage()
        request.chunk_request.root_hash = self.root
        request.chunk_request.chunk_index = 0
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        try:
            while not self.stop.is_set():
                sock.send(request.SerializeToString())
                got_chunk = False
                # One answer per request; a silence is bounded by the poll.
                deadline = time.monotonic() + 30
                while not got_chunk and time.monotonic() < deadline and not self.stop.is_set():
                    if not poller.poll(100):
                        continue
                    frames = sock.recv_multipart()
                    header = wire_pb2.PeerMessage()
                    header.ParseFromString(frames[0])
                    kind = header.WhichOneof("body")
                    if kind == "chunk":
                        got_chunk = True
                        self.arrivals.append(time.monotonic())
                        # ~500 requests/s: fine enough to see a gap, light
                        # enough to leave the node its CPU.
                        time.sleep(0.002)
                    elif kind == "reject":
                        self.errors.append(str(header.reject))
                        got_chunk = True
                        time.sleep(0.01)
        finally:
            sock.close(0)
            ctx.term()

    def max_gap(self):
        gaps = [b - a for a, b in zip(self.arrivals, self.arrivals[1:])]
        return max(gaps) if gaps else float("inf")


class ServingGapTest(unittest.TestCase):
    def setUp(self):
        self.procs = []
        self.root = tempfile.mkdtemp(prefix="ptgap.", dir=base.TMP)

    def tearDown(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self, args):
        self.procs.append(subprocess.Popen(args, preexec_fn=base._die_with_parent))

    def test_node_keeps_serving_while_it_rechecks_and_verifies_a_large_file(self):
        port_file = os.path.join(self.root, "tracker.port")
        self.start(["tracker/tracker", "--home", os.path.join(self.root, "tracker"), "--host",
                    "127.0.0.1", "--port", "0", "--port-file", port_file])
        tracker = "127.0.0.1:%s" % base.wait_for(lambda: base.read_file(port_file), "tracker")

        # Node A: a small shared file, and a 4 GiB partial download to resume.
        a_home = os.path.join(self.root, "a")
        os.makedirs(os.path.join(a_home, "user", "shared_files"))
        os.makedirs(os.path.join(a_home, "state"))
        small = os.urandom(SMALL_BYTES)
        with open(os.path.join(a_home, "user", "shared_files", "small.bin"), "wb") as f:
            f.write(small)
        big_root = zero_file_root(BIG_BYTES).hex()
        with open(os.path.join(a_home, "state", big_root + ".part"), "wb") as f:
            f.truncate(BIG_BYTES)
        with open(os.path.join(a_home, "state", big_root + ".resume"), "wb") as f:
            f.write(b"not a resume state")  # unusable: every chunk is re-hashed
        self.start(["peer/peer", "--home", a_home, "--tracker", tracker, "--username", "a",
                    "--chunk-listen", "tcp://127.0.0.1:0"])
        endpoint = base.wait_for(
            lambda: base.read_file(os.path.join(a_home, "state", "chunk_endpoint")),
            "node A's chunk endpoint")

        sampler = Sampler(endpoint, base.merkle_root(small))
        sampler.start()
        try:
            base.wait_for(lambda: len(sampler.arrivals) >= 20, "A to serve small.bin")
            started = time.monotonic()
            # The seeder of the big file: A finds it, then re-checks 4 GiB.
            s_home = os.path.join(self.root, "s")
            os.makedirs(os.path.join(s_home, "user", "shared_files"))
            with open(os.path.join(s_home, "user", "shared_files", "big.bin"), "wb") as f:
                f.truncate(BIG_BYTES)
            self.start(["peer/peer", "--home", s_home, "--tracker", tracker, "--username", "s",
                        "--chunk-listen", "tcp://127.0.0.1:0"])
            published = os.path.join(a_home, "user", "downloads", "big.bin")
            base.wait_for(lambda: os.path.exists(published), "A to verify and publish big.bin",
                          timeout_s=COMPLETE_DEADLINE_S)
            finished = time.monotonic()
            # A little more serving after the end, then stop sampling.
            count = len(sampler.arrivals)
            base.wait_for(lambda: len(sampler.arrivals) >= count + 10, "A to keep serving")
        finally:
            sampler.stop.set()
            sampler.join(timeout=10)
        during = [t for t in sampler.arrivals if started <= t <= finished]
        with open(os.path.join(a_home, "logs", "peer.log")) as f:
            log = f.read()
        self.assertIn("resuming big.bin", log)
        self.assertEqual(os.path.getsize(published), BIG_BYTES)
        gap = sampler.max_gap()
        print("serving gap: max %.3f s over %d answers (%d while A re-checked, verified and "
              "published 4 GiB in %.1f s)" % (gap, len(sampler.arrivals), len(during),
                                              finished - started))
        self.assertEqual(sampler.errors, [])
        self.assertGreater(len(during), 10)
        self.assertLess(gap, GAP_LIMIT_S)


if __name__ == "__main__":
    unittest.main()
