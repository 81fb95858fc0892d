#!/usr/bin/python3
"""Replays tests/conformance/vectors.txt (FORMAT.md) against the real
tracker and peer processes, from proto/ alone (protobuf, pyzmq, hashlib).

message / merkle / connection_id vectors are checked offline with this
file's own implementation of the documented rules; tracker vectors are sent
as UDP datagrams to a real tracker, wire vectors as ZeroMQ frames to a real
peer sharing the kit's pattern file. Prints one line per vector and exits
non-zero if any fails.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.getcwd(), "tests", "interop"))

import zmq  # noqa: E402
from google.protobuf import text_format  # noqa: E402

import interop_test as base  # noqa: E402
from proto import tracker_pb2  # noqa: E402
from proto import wire_pb2  # noqa: E402

from kit import BLOCK, address_bytes, blocks, content, merkle  # noqa: E402

VECTORS = os.path.join("tests", "conformance", "vectors.txt")
TYPES = {"pytorrent.v1.TrackerRequest": tracker_pb2.TrackerRequest,
         "pytorrent.v1.TrackerResponse": tracker_pb2.TrackerResponse,
         "pytorrent.v1.PeerMessage": wire_pb2.PeerMessage}


def parse(path):
    vectors, current = [], None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                kind, name = line[1:-1].split(" ", 1)
                current = {"kind": kind, "name": name, "lines": []}
                vectors.append(current)
                continue
            key, _, value = line.partition(": ")
            current["lines"].append((key.rstrip(":"), value))
    return vectors


def field(vector, key):
    return next(v for k, v in vector["lines"] if k == key)


def hex_list(value):
    return [] if value == "-" else [bytes.fromhex(h) for h in value.split(",")]


def decode_hex(value):
    if "*" in value:
        unit, count = value.split("*")
        return bytes.fromhex(unit) * int(count)
    return bytes.fromhex(value)


def path_value(message, path):
    """`body` names the set oneof member; else a dotted field path, printed as
    FORMAT.md says: enums by name, bytes as hex, numbers in decimal."""
    parts = path.split(".")
    for part in parts[:-1]:
        message = getattr(message, part)
    last = parts[-1]
    if last == "body":
        return message.WhichOneof("body") or ""
    value = getattr(message, last)
    fd = message.DESCRIPTOR.fields_by_name[last]
    if fd.enum_type is not None:
        known = fd.enum_type.values_by_number.get(value)
        return known.name if known else str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def check_expect(message, expect, subst, frames=1):
    path, _, want = expect.partition(" = ")
    for key, value in subst.items():
        want = want.replace(key, value)
    got = str(frames) if path == "frames" else path_value(message, path)
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (path, got, want))


def run_message(v):
    cls = TYPES[field(v, "type")]
    data = bytes.fromhex(field(v, "hex"))
    decoded = cls()
    decoded.ParseFromString(data)
    expected = text_format.Parse(field(v, "text"), cls())
    assert decoded == expected, (decoded, expected)
    assert expected.SerializeToString() == data, "encoding differs"


def run_merkle(v):
    data = content(int(field(v, "size")))
    chunk = int(field(v, "chunk_size"))
    assert blocks(data) == hex_list(field(v, "block_digests")), "block digests"
    digests = [merkle(blocks(data[i:i + chunk])) for i in range(0, len(data), chunk)]
    assert digests == hex_list(field(v, "chunk_digests")), "chunk digests"
    assert merkle(digests).hex() == field(v, "root"), "root"
    assert hashlib.sha256(data).hexdigest() == field(v, "file_sha256"), "file sha256"


def run_connection_id(v):
    secret = bytes.fromhex(field(v, "secret"))
    window = int(field(v, "window_seconds"))
    now = int(field(v, "now"))
    ip, port = field(v, "address").rsplit(":", 1)
    msg = struct.pack(">q", now // window) + address_bytes(ip) + struct.pack(">H", int(port))
    assert msg.hex() == field(v, "mac_input"), "mac input"
    cid = int.from_bytes(hmac.new(secret, msg, hashlib.sha256).digest()[:8], "big") or 1
    assert "%016x" % cid == field(v, "id"), "id"


class Tracker:
    def __init__(self, port):
        self.address = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def exchange(self, data, want_reply):
        """One datagram; the reply (retried up to 3 times), or None."""
        for _ in range(3 if want_reply else 1):
            self.sock.sendto(data, self.address)
            self.sock.settimeout(1.0 if want_reply else 0.5)
            try:
                reply, _ = self.sock.recvfrom(65536)
                return reply
            except socket.timeout:
                continue
        return None


def run_tracker(v, tracker):
    subst, reply = {}, None
    for key, value in v["lines"]:
        if key in ("send_text", "send_hex"):
            if key == "send_text":
                for k, s in subst.items():
                    value = value.replace(k, s)
                data = text_format.Parse(value, tracker_pb2.TrackerRequest()).SerializeToString()
            else:
                data = decode_hex(value)
            dropped_expected = ("expect", "dropped") in v["lines"]
            raw = tracker.exchange(data, not dropped_expected)
            reply = None
            if raw is not None:
                reply = tracker_pb2.TrackerResponse()
                reply.ParseFromString(raw)
        elif key == "expect" and value == "dropped":
            assert reply is None, "expected no reply, got %s" % reply
        elif key == "expect":
            assert reply is not None, "no reply"
            check_expect(reply, value, subst)
        elif key == "save":
            subst["$" + value.split(".")[-1]] = path_value(reply, value)


def octal(data):
    return "".join("\\%03o" % b for b in data)


def run_wire(v, endpoint, root, context):
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(endpoint)
    try:
        subst = {"$root_hex": root.hex(), "$root": octal(root)}
        frames, message = None, None

        def receive():
            if not sock.poll(10000):
                raise AssertionError("no answer within 10 s")
            got = sock.recv_multipart()
            m = wire_pb2.PeerMessage()
            m.ParseFromString(got[0])
            return got, m

        for key, value in v["lines"]:
            if key in ("send_text", "send_hex"):
                if key == "send_text":
                    for k, s in subst.items():
                        value = value.replace(k, s)
                    data = text_format.Parse(value, wire_pb2.PeerMessage()).SerializeToString()
                else:
                    data = decode_hex(value)
                sock.send(data)
                frames, message = receive()
            elif key == "next":
                frames, message = receive()
            elif key == "expect":
                check_expect(message, value, subst, len(frames))
    finally:
        sock.close()


def main():
    vectors = parse(VECTORS)
    size = int(field(next(v for v in vectors if v["kind"] == "wire"), "file_size"))
    data = content(size)
    root = merkle([merkle(blocks(data[i:i + BLOCK])) for i in range(0, len(data), BLOCK)])
    swarm = base.Swarm(name="pattern.bin", content=data, peer_args=["--chunk-size-kib", "16"])
    context = zmq.Context()
    failures = 0
    try:
        endpoint_file = os.path.join(swarm.peer_home, "state", "chunk_endpoint")
        endpoint = base.wait_for(lambda: base.read_file(endpoint_file), "state/chunk_endpoint")
        tracker = Tracker(swarm.tracker_port)
        # The peer shares the pattern file once it has hashed it.
        probe = {"kind": "wire", "name": "probe", "lines": [
            ("send_text", "manifest_request { root_hash: \"$root\" }"),
            ("expect", "body = manifest")]}

        def shared():
            try:
                run_wire(probe, endpoint, root, context)
                return True
            except AssertionError:
                return False
        base.wait_for(shared, "the peer to share the pattern file")
        runners = {"message": run_message, "merkle": run_merkle,
                   "connection_id": run_connection_id,
                   "tracker": lambda v: run_tracker(v, tracker),
                   "wire": lambda v: run_wire(v, endpoint, root, context)}
        for v in vectors:
            try:
                runners[v["kind"]](v)
                print("PASS %s %s" % (v["kind"], v["name"]))
            except Exception as e:  # noqa: BLE001 - report every vector
                failures += 1
                print("FAIL %s %s: %s" % (v["kind"], v["name"], e))
    finally:
        context.destroy(linger=0)
        swarm.close()
    print("%d vectors, %d failed" % (len(vectors), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
